using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CsMetrics.Server.Integrations;
using CsMetrics.Server.Tests.Support;
using static CsMetrics.Server.Tests.Fuzz.HostileValues;

namespace CsMetrics.Server.Tests.Fuzz;

/// <summary>How a fuzzed Zendesk webhook is signed (only <see cref="Correct"/> reaches the parser).</summary>
public enum ZendeskSigning
{
    Correct,
    WrongSecret,
    Stale,
    Future,
    MissingSignature,
    MissingTimestamp,
    NotBase64,
    TimestampNotADate,
    OtherBody,
    Truncated,
}

/// <summary>
/// The integration endpoints (docs/integrations.md): Segment (Basic auth with the write key),
/// Zendesk (HMAC signature), and the generic ticket and survey webhooks.
/// </summary>
public sealed partial class FuzzPlan
{
    public const string ZendeskSecret = "fuzz-zendesk-signing-secret";

    private const string KnownPrefix = "kn-acct-";

    private static readonly string[] SegmentCalls = ["track", "identify", "group", "batch", "import", "page", "screen", "alias"];

    // ---------------------------------------------------------------- classification

    /// <summary>
    /// Sure refusal for the integrations: credentials or signature that are certainly refused, or
    /// a body no integration can read. Anything else might be accepted, so it must not name a known
    /// account anywhere (an accepted Segment group/identify would link a user to it, a track or
    /// webhook would add a signal): known ids move to throwaway ones, and if a (differently
    /// spelled) known id is still there, the body is made unreadable. True: classify again.
    /// </summary>
    private bool ClassifyIntegration(FuzzRequest q, int attempt)
    {
        bool objectOnly = q.Effective is not (FuzzEndpoint.IntegrationTickets or FuzzEndpoint.IntegrationSurveys);
        bool bodyRejected = _oracle.IntegrationBodyRejected(q.Body, objectOnly);
        bool callRejected = q.Effective == FuzzEndpoint.SegmentV1 && !SegmentCalls.Contains(SafeUnescape(q.EffectiveId ?? ""), StringComparer.Ordinal);
        bool authRejected = q.AuthRejected && (q.Effective == FuzzEndpoint.Zendesk) == (q.Signing is not null);
        q.MustReject = authRejected || bodyRejected || callRejected;
        if (!q.MustReject && FuzzOracle.MayNameKnown(q.Body, KnownPrefix))
        {
            if (attempt == 0)
            {
                q.Body = Replace(q.Body!, KnownPrefix, "tw-acct-");
                q.Strategy += " (maybe accepted: moved to throwaway accounts)";
            }
            else
            {
                q.Body = [(byte)'x', .. q.Body!];
                q.Strategy += " (maybe accepted, a known id still named: made unreadable)";
            }
            return true;
        }
        q.KnownTarget = q.MustReject ? KnownIn(q.Body) : null;
        if (q.Signing is { } signing)
        {
            SignZendesk(q, signing);
        }
        return false;
    }

    private static string SafeUnescape(string s)
    {
        try
        {
            return Uri.UnescapeDataString(s);
        }
        catch (Exception)
        {
            return s;
        }
    }

    // ---------------------------------------------------------------- Segment

    private FuzzRequest Segment(int index, Random r, FuzzEndpoint endpoint, DateTimeOffset now)
    {
        bool known = r.Chance(50);
        string[] pool = known ? _world.KnownAccounts : _world.ThrowawayAccounts;
        string path;
        string? call;
        switch (endpoint)
        {
            case FuzzEndpoint.Segment:
                call = r.Pick(new[] { "track", "identify", "group", "batch", "page" });
                path = FuzzRoutes.Segment;
                break;
            case FuzzEndpoint.SegmentBatch:
                call = "batch";
                path = FuzzRoutes.SegmentBatch;
                break;
            default:
                call = r.Pick(new[] { "track", "identify", "group", "batch", "import", "track", "group" });
                string route = r.Next(10) switch
                {
                    < 8 => call,
                    8 => HostileRouteId(r, call),
                    _ => r.Pick(new[] { "Track", "TRACK", "delete", "..", "track.json", "", "%2e", "group%00" }),
                };
                path = FuzzRoutes.SegmentV1(route.Length == 0 ? "%20" : route);
                break;
        }

        int k = 0;
        JsonNode Valid(Random rr)
        {
            if (call is "batch" or "import")
            {
                var batch = new JsonArray();
                int n = rr.Next(1, 6);
                for (int i = 0; i < n; i++)
                {
                    batch.Add(SegmentCall(rr, rr.Pick(new[] { "group", "identify", "track", "track", "page" }), pool, $"fz{_seed}-{index}-{k++}", now, withType: true));
                }
                return new JsonObject
                {
                    ["batch"] = batch,
                    ["sentAt"] = Iso(now),
                    ["context"] = new JsonObject { ["library"] = new JsonObject { ["name"] = "analytics-node", ["version"] = "2.1.0" } },
                };
            }
            // On the SDK paths the call is in the path; the body's "type" is optional there.
            return SegmentCall(rr, call!, pool, $"fz{_seed}-{index}-{k++}", now, withType: endpoint != FuzzEndpoint.SegmentV1 || rr.Chance(50));
        }

        var (body, what) = r.Next(100) switch
        {
            < 8 => (HostileJson.Encode(HostileJson.Write(Valid(r), r)), "valid Segment call"),
            < 14 => (HostileJson.Encode(HostileJson.Write(SegmentBatchWithOneBadItem(r, pool, index, now), r)), "Segment batch, one bad item"),
            _ => HostileBody(r, Valid),
        };
        var q = Make(index, endpoint, HttpMethod.Post, path + JunkQuery(r), body, JsonContentType(r), $"segment {call}: {what}{(known ? " [known accounts]" : "")}", r);
        SegmentAuth(q, r);
        return q;
    }

    private static JsonObject SegmentCall(Random r, string type, string[] pool, string messageId, DateTimeOffset now, bool withType)
    {
        // Sometimes a hostile user id in an otherwise valid call: it becomes a grain key (the link).
        string user = r.Chance(8) ? String(r) : "seg-user-" + r.Next(40);
        string account = r.Pick(pool);
        var o = new JsonObject();
        if (withType)
        {
            o["type"] = type;
        }
        o["messageId"] = messageId;
        if (r.Chance(85))
        {
            o["userId"] = user;
        }
        if (r.Chance(40))
        {
            o["anonymousId"] = "anon-" + r.Next(1000);
        }
        o["timestamp"] = r.Chance(20) ? now.AddMinutes(-r.Next(1, 600)).ToString("O", CultureInfo.InvariantCulture) : Iso(now.AddMinutes(-r.Next(1, 600)));
        if (r.Chance(30))
        {
            o["sentAt"] = Iso(now);
        }
        var context = new JsonObject
        {
            ["ip"] = "203.0.113." + r.Next(255),
            ["library"] = new JsonObject { ["name"] = "analytics.js", ["version"] = "2.11.1" },
            ["userAgent"] = "Mozilla/5.0",
        };
        switch (type)
        {
            case "track":
                o["event"] = r.Pick(new[] { "Report Exported", "Dashboard Created", "api.call", "users.invite" });
                o["properties"] = new JsonObject { ["plan"] = "pro", ["revenue"] = 12.5 };
                switch (r.Next(4))
                {
                    case 0: break; // attributed through an earlier group/identify, or refused
                    case 1: ((JsonObject)o["properties"]!)["groupId"] = account; break;
                    default: context["groupId"] = account; break;
                }
                break;
            case "identify":
                var traits = new JsonObject { ["email"] = user + "@example.com", ["name"] = "User " + user };
                switch (r.Next(3))
                {
                    case 0: traits["groupId"] = account; break;
                    case 1: traits["company"] = new JsonObject { ["id"] = account, ["name"] = "Co" }; break;
                    default: context["groupId"] = account; break;
                }
                o["traits"] = traits;
                break;
            case "group":
                o["groupId"] = account;
                var groupTraits = new JsonObject { ["name"] = "Fuzz Co " + r.Next(100), ["industry"] = "Software" };
                if (r.Chance(60))
                {
                    groupTraits[r.Chance(50) ? "plan" : "segment"] = r.Pick(new[] { "smb", "mid-market", "enterprise" });
                }
                if (r.Chance(60))
                {
                    groupTraits[r.Chance(50) ? "seats" : "employees"] = r.Next(0, 5000);
                }
                o["traits"] = groupTraits;
                break;
            default:
                o["name"] = "Home";
                o["properties"] = new JsonObject { ["path"] = "/", ["title"] = "Home" };
                break;
        }
        o["context"] = context;
        o["integrations"] = new JsonObject { ["All"] = true };
        return o;
    }

    private JsonObject SegmentBatchWithOneBadItem(Random r, string[] pool, int index, DateTimeOffset now)
    {
        var batch = new JsonArray();
        int n = r.Next(1, 4);
        for (int i = 0; i < n; i++)
        {
            batch.Add(SegmentCall(r, r.Pick(new[] { "group", "identify", "track" }), pool, $"fz{_seed}-{index}-b{i}", now, withType: true));
        }
        var bad = SegmentCall(r, r.Pick(new[] { "group", "track" }), pool, $"fz{_seed}-{index}-bad", now, withType: true);
        switch (r.Next(7))
        {
            case 0: bad["type"] = r.Pick(new[] { "Track", "trak", "track\u0000", "\u202Ekcart", "' OR 1=1--", "" }); break;
            case 1: bad["type"] = "group"; bad["groupId"] = r.Pick(new[] { "", "   ", new string('g', 201), "acct\u0001" }); break;
            case 2: bad["type"] = "group"; bad["traits"] = new JsonObject { ["employees"] = r.Pick(new JsonNode?[] { JsonValue.Create(-1), JsonValue.Create(1.5), JsonValue.Create("many"), RawJson("1e400") }) }; break;
            case 3: bad["type"] = "track"; bad.Remove("event"); ((JsonObject)bad["context"]!)["groupId"] = r.Pick(pool); break;
            case 4: bad["type"] = "track"; bad["timestamp"] = r.Pick(new[] { "2026-13-45T99:99:99Z", "9999-12-31T23:59:59Z", "yesterday" }); ((JsonObject)bad["context"]!)["groupId"] = r.Pick(pool); break;
            case 5: bad["type"] = "track"; bad["event"] = new string('e', 201); ((JsonObject)bad["context"]!)["groupId"] = r.Pick(pool); break;
            default: bad["type"] = "track"; bad["userId"] = "never-linked-" + r.Next(); bad["event"] = "Report Exported"; ((JsonObject)bad["context"]!).Remove("groupId"); (bad["properties"] as JsonObject)?.Remove("groupId"); break;
        }
        batch.Insert(r.Next(batch.Count + 1), bad);
        return new JsonObject { ["batch"] = batch };
    }

    private static void SegmentAuth(FuzzRequest q, Random r)
    {
        static string Basic(string user) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(user));
        string good = r.Pick(new[] { Keys.Ingest, Keys.Admin, Keys.IngestAndRead });
        int roll = r.Next(100);
        switch (roll)
        {
            case < 50:
                q.Headers.Add(new("Authorization", Basic(good + ":")));
                q.Strategy += " [auth: Basic write key]";
                return;
            case < 54:
                q.Headers.Add(new("Authorization", (r.Chance(50) ? "basic " : "BASIC ") + Convert.ToBase64String(Encoding.UTF8.GetBytes(good + ":" + r.Pick(new[] { "pw", ":::", "\u00e9" })))));
                q.Strategy += " [auth: Basic write key, odd scheme case and password]";
                return;
            case < 57:
                q.Headers.Add(new("Authorization", Basic(good)));
                q.Strategy += " [auth: Basic write key without colon]";
                return;
            case < 62:
                q.Headers.Add(new("Authorization", "Bearer " + Keys.Ingest));
                q.Strategy += " [auth: Bearer]";
                return;
            case < 66:
                q.Anonymous = true;
                q.Headers.Add(new("X-Api-Key", Keys.Ingest));
                q.Strategy += " [auth: X-Api-Key]";
                return;
            case < 70:
                q.Strategy += " [auth: the admin client's Bearer]";
                return;
            case < 76:
                q.Headers.Add(new("Authorization", Basic(Keys.Read + ":")));
                q.Strategy += " [auth: read-only write key]";
                break;
            case < 82:
                q.Headers.Add(new("Authorization", Basic(r.Pick(new[] { "wk-nope", Keys.Ingest + "x", Keys.Ingest.ToUpperInvariant(), " " + Keys.Ingest, "' OR 1=1--", new string('k', 5000) }) + ":")));
                q.Strategy += " [auth: unknown write key]";
                break;
            case < 86:
                q.Headers.Add(new("Authorization", "Basic " + r.Pick(new[] { "!!!notbase64", "=", "", "a", "YWJj=ZGVm", "\u00ff\u00fe", "%41%42" })));
                q.Strategy += " [auth: malformed Basic]";
                break;
            case < 90:
                q.Anonymous = true;
                q.Strategy += " [auth: none]";
                break;
            case < 93:
                q.Headers.Add(new("Authorization", Basic(":" + good)));
                q.Strategy += " [auth: key as the password]";
                break;
            case < 96:
                q.Headers.Add(new("Authorization", "Basic " + Convert.ToBase64String([0xC3, 0x28, 0xFF, 0x3A])));
                q.Strategy += " [auth: invalid UTF-8 in Basic]";
                break;
            default:
                q.Headers.Add(new("Authorization", r.Pick(new[] { "Digest x", "Bearer", "Bearer ", "Basic", "Token " + Keys.Ingest })));
                q.Strategy += " [auth: other scheme]";
                break;
        }
        q.AuthRejected = true;
    }

    // ---------------------------------------------------------------- Zendesk

    private FuzzRequest Zendesk(int index, Random r, DateTimeOffset now)
    {
        bool known = r.Chance(50);
        string[] pool = known ? _world.KnownAccounts : _world.ThrowawayAccounts;
        JsonNode Valid(Random rr)
        {
            var ticket = new JsonObject
            {
                ["id"] = rr.Chance(50) ? JsonValue.Create("Z-" + rr.Next(200)) : JsonValue.Create(rr.Next(1, 100_000)),
                [rr.Chance(70) ? "organization_external_id" : "organization_id"] = rr.Pick(pool),
                ["priority"] = rr.Pick(new[] { "low", "normal", "high", "urgent", "High", "URGENT" }),
                ["tags"] = new JsonArray("billing", "vip"),
                ["requester_id"] = rr.Next(1, 10_000_000),
                ["status"] = "open",
                ["subject"] = "Help",
            };
            string type = rr.Pick(new[] { "ticket.created", "ticket.agent_replied", "ticket.solved", "ticket.reopened", "ticket.satisfaction_rated", "ticket.comment_added" });
            if (type == "ticket.satisfaction_rated" || rr.Chance(20))
            {
                ticket[rr.Chance(80) ? "satisfaction" : "satisfaction_rating"] = new JsonObject { ["score"] = rr.Pick(new[] { "good", "bad", "Good" }), ["comment"] = "Quick and helpful" };
            }
            var ts = now.AddMinutes(-rr.Next(1, 600));
            return new JsonObject
            {
                ["type"] = (rr.Chance(30) ? "zen:event-type:" : "") + type,
                ["account_id"] = 12345,
                ["id"] = Guid.NewGuid().ToString(),
                ["time"] = rr.Chance(50) ? ts.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'.'fffffff'00Z'", CultureInfo.InvariantCulture) : Iso(ts),
                ["zendesk_event_version"] = "2022-11-06",
                ["subject"] = "zen:ticket:" + rr.Next(1000),
                [rr.Chance(80) ? "ticket" : "detail"] = ticket,
            };
        }

        var (body, what) = r.Chance(10) ? (HostileJson.Encode(HostileJson.Write(Valid(r), r)), "valid Zendesk event") : HostileBody(r, Valid);
        var q = Make(index, FuzzEndpoint.Zendesk, HttpMethod.Post, FuzzRoutes.Zendesk + JunkQuery(r), body, JsonContentType(r), $"zendesk: {what}{(known ? " [known accounts]" : "")}", r);
        var signing = r.Next(100) switch
        {
            < 65 => ZendeskSigning.Correct,
            < 69 => ZendeskSigning.WrongSecret,
            < 74 => ZendeskSigning.Stale,
            < 77 => ZendeskSigning.Future,
            < 81 => ZendeskSigning.MissingSignature,
            < 84 => ZendeskSigning.MissingTimestamp,
            < 88 => ZendeskSigning.NotBase64,
            < 91 => ZendeskSigning.TimestampNotADate,
            < 96 => ZendeskSigning.OtherBody,
            _ => ZendeskSigning.Truncated,
        };
        q.Signing = signing;
        q.AuthRejected = signing != ZendeskSigning.Correct;
        q.Anonymous = r.Chance(50);
        q.Strategy += $" [signature: {signing}]";
        return q;
    }

    /// <summary>Adds the Zendesk headers over the final body (after any re-aiming).</summary>
    private static void SignZendesk(FuzzRequest q, ZendeskSigning signing)
    {
        var now = DateTimeOffset.UtcNow;
        string timestamp = signing switch
        {
            ZendeskSigning.Stale => Iso(now.AddMinutes(-(30 + (q.Index % 5000)))),
            ZendeskSigning.Future => Iso(now.AddHours(2 + (q.Index % 50))),
            ZendeskSigning.TimestampNotADate => (q.Index % 3) switch { 0 => "yesterday", 1 => "2026-13-45T99:99:99Z", _ => "' OR 1=1--" },
            _ => (q.Index % 4) switch
            {
                0 => now.ToString("O", CultureInfo.InvariantCulture),
                _ => Iso(now),
            },
        };
        byte[] body = q.Body ?? [];
        if (signing == ZendeskSigning.OtherBody)
        {
            body = [.. body, (byte)' '];
        }
        string secret = signing == ZendeskSigning.WrongSecret ? ZendeskSecret + "-not" : ZendeskSecret;
        string signature = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), (byte[])[.. Encoding.UTF8.GetBytes(timestamp), .. body]));
        signature = signing switch
        {
            ZendeskSigning.NotBase64 => (q.Index % 4) switch { 0 => "!!" + signature, 1 => signature + signature + signature, 2 => "%%%", _ => "" + signature[..10] + "*" },
            ZendeskSigning.Truncated => signature[..^4],
            _ => signature,
        };
        if (signing != ZendeskSigning.MissingSignature)
        {
            q.Headers.Add(new(ZendeskIntegration.SignatureHeader, signature));
        }
        if (signing != ZendeskSigning.MissingTimestamp)
        {
            q.Headers.Add(new(ZendeskIntegration.TimestampHeader, timestamp));
        }
    }

    // ---------------------------------------------------------------- generic webhooks

    private FuzzRequest Generic(int index, Random r, FuzzEndpoint endpoint, DateTimeOffset now)
    {
        bool known = r.Chance(50);
        string[] pool = known ? _world.KnownAccounts : _world.ThrowawayAccounts;
        bool tickets = endpoint == FuzzEndpoint.IntegrationTickets;
        int k = 0;
        JsonObject One(Random rr)
        {
            var o = new JsonObject { ["accountId"] = rr.Pick(pool) };
            if (tickets)
            {
                o["ticketId"] = "FD-" + rr.Next(2000);
                o["status"] = rr.Pick(new[] { "opened", "first_response", "solved", "reopened", "closed" });
                if (rr.Chance(70)) { o["priority"] = rr.Pick(new[] { "low", "normal", "high", "urgent" }); }
                if (rr.Chance(50)) { o["tags"] = new JsonArray("outage", "billing"); }
                if (rr.Chance(40)) { o["agentReplies"] = rr.Next(0, 20); }
            }
            else
            {
                var (kind, max, min) = rr.Pick(new[] { ("nps", 10, 0), ("csat", 5, 1), ("ces", 7, 1) });
                o["kind"] = kind;
                o["score"] = rr.Next(min, max + 1);
                if (rr.Chance(60)) { o["respondentId"] = "resp-" + rr.Next(100) + "@example.com"; }
                if (rr.Chance(50)) { o["comment"] = "Love it"; }
            }
            if (rr.Chance(50)) { o["id"] = $"fz{_seed}-{index}-{k++}"; }
            if (rr.Chance(50)) { o["timestamp"] = Iso(now.AddMinutes(-rr.Next(1, 60 * 24 * 20))); }
            if (rr.Chance(20)) { o["source"] = "freshdesk"; }
            return o;
        }
        JsonNode Valid(Random rr)
        {
            if (rr.Chance(60))
            {
                return One(rr);
            }
            var array = new JsonArray();
            int n = rr.Next(1, 6);
            for (int i = 0; i < n; i++)
            {
                array.Add(One(rr));
            }
            return array;
        }

        var (body, what) = r.Next(100) switch
        {
            < 6 => (HostileJson.Encode(HostileJson.Write(Valid(r), r)), "valid webhook body"),
            < 8 => (Encoding.UTF8.GetBytes("[" + string.Join(",", Enumerable.Repeat("{\"accountId\":\"" + r.Pick(pool) + "\"}", 5_001 + r.Next(50))) + "]"), "more events than a batch may hold"),
            < 9 => (Encoding.UTF8.GetBytes("[]"), "empty array"),
            _ => HostileBody(r, Valid),
        };
        var q = Make(index, endpoint, HttpMethod.Post, (tickets ? FuzzRoutes.Tickets : FuzzRoutes.Surveys) + JunkQuery(r), body, JsonContentType(r), $"{(tickets ? "tickets" : "surveys")}: {what}{(known ? " [known accounts]" : "")}", r);
        switch (r.Next(100))
        {
            case < 80:
                break; // the admin client's key
            case < 87:
                q.Headers.Add(new("Authorization", "Bearer " + r.Pick(new[] { Keys.Ingest, Keys.IngestAndRead })));
                break;
            case < 91:
                q.Anonymous = true;
                q.Headers.Add(new("X-Api-Key", Keys.Ingest));
                break;
            case < 94:
                q.Headers.Add(new("Authorization", "Bearer " + Keys.Read));
                q.AuthRejected = true;
                break;
            case < 97:
                q.Anonymous = true;
                q.AuthRejected = true;
                break;
            default:
                q.Headers.Add(new("Authorization", r.Pick(new[] { "Bearer nope", "Bearer " + Keys.Ingest + "x", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("wrong:")) })));
                q.AuthRejected = true;
                break;
        }
        if (q.AuthRejected)
        {
            q.Strategy += " [auth: refused key]";
        }
        return q;
    }
}
