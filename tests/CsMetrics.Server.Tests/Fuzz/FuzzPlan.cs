using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using CsMetrics.Server.Hosting;
using static CsMetrics.Server.Tests.Fuzz.HostileValues;

namespace CsMetrics.Server.Tests.Fuzz;

/// <summary>One generated request, and what the oracle knew about it when it was made.</summary>
public sealed class FuzzRequest
{
    public required int Index { get; init; }
    public required FuzzEndpoint Intended { get; init; }
    public required HttpMethod Method { get; init; }
    public required Uri Uri { get; set; }
    public byte[]? Body { get; set; }
    public string? ContentType { get; init; }
    public bool Chunked { get; init; }
    public required string Strategy { get; set; }

    /// <summary>Extra request headers (auth, signatures); they win over the client's default headers.</summary>
    public List<KeyValuePair<string, string>> Headers { get; } = [];

    /// <summary>Send with the client that has no API key (the request brings its own credentials, or none).</summary>
    public bool Anonymous { get; set; }

    /// <summary>The credentials (or webhook signature) are certainly refused: 401/403 whatever the body.</summary>
    public bool AuthRejected { get; set; }

    /// <summary>How a Zendesk request is signed once its body is final.</summary>
    public ZendeskSigning? Signing { get; set; }

    /// <summary>The endpoint and id the router would pick (null: no write endpoint; expect 404/405).</summary>
    public FuzzEndpoint? Effective { get; set; }
    public string? EffectiveId { get; set; }

    /// <summary>The oracle is sure the server refuses this request (4xx).</summary>
    public bool MustReject { get; set; }

    /// <summary>The known account or watchlist this request is aimed at (always a request the oracle is sure gets refused).</summary>
    public string? KnownTarget { get; set; }

    public HttpRequestMessage ToMessage()
    {
        var message = new HttpRequestMessage(Method, Uri);
        if (Body is not null)
        {
            HttpContent content = Chunked ? new StreamContent(new UnseekableStream(Body)) : new ByteArrayContent(Body);
            if (ContentType is not null)
            {
                content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
            }
            message.Content = content;
        }
        foreach (var (name, value) in Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }
        return message;
    }

    public string Describe()
    {
        string path = Uri.PathAndQuery;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"#{Index} {Method} {Clip(path, 300)} [{Intended} -> {Effective?.ToString() ?? "no write route"}");
        if (EffectiveId is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $" id={Clip(Escape(EffectiveId), 80)}");
        }
        foreach (var (name, value) in Headers)
        {
            sb.Append(CultureInfo.InvariantCulture, $" {name}: {Clip(Escape(value), 120)};");
        }
        sb.Append(CultureInfo.InvariantCulture, $"] strategy: {Strategy}; content-type: {ContentType ?? "(none)"}{(Chunked ? " chunked" : "")}; ");
        if (Body is null)
        {
            sb.Append("no body");
        }
        else
        {
            sb.Append(CultureInfo.InvariantCulture, $"{Body.Length} bytes: {Clip(Escape(Encoding.Latin1.GetString(Body, 0, Math.Min(Body.Length, 2000))), 700)}");
        }
        return sb.ToString();
    }

    private static string Clip(string s, int n) => s.Length <= n ? s : s[..n] + $"…(+{s.Length - n})";

    private static string Escape(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (char c in s)
        {
            if (c < 0x20 || c is >= '\u007F' and <= '\u00A0' || char.IsSurrogate(c) || c is '\u202E' or '\u202D' or '\u200B' or '\u2028' or '\u2029' or '\uFEFF')
            {
                sb.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:X2}");
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }

    /// <summary>Forces a chunked body (no Content-Length): the server must not trust the length it is not given.</summary>
    private sealed class UnseekableStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes, writable: false);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 4096));
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

/// <summary>The world the fuzz acts on: what is known (and must not change) and what is throwaway.</summary>
public sealed record FuzzWorld(
    Uri BaseAddress,
    string[] KnownAccounts,
    string[] ThrowawayAccounts,
    string[] KnownWatchlists,
    string[] ThrowawayWatchlists,
    string[] BuiltInWatchlists,
    string[] ConfiguredKeyIds,
    string ScorecardText,
    bool KeysApi,
    string[] KnownPlaybooks,
    string[] ThrowawayPlaybooks);

/// <summary>
/// Makes request number <c>i</c> of the run from its own seeded Random, so a run is a pure
/// function of (seed, i) and any one failure can be reproduced alone.
/// </summary>
public sealed partial class FuzzPlan
{
    private readonly int _seed;
    private readonly FuzzWorld _world;
    private readonly FuzzOracle _oracle;
    private readonly JsonNode _scorecard;
    private readonly FuzzEndpoint[] _schedule;

    public FuzzPlan(int seed, FuzzWorld world, FuzzOracle oracle)
    {
        _seed = seed;
        _world = world;
        _oracle = oracle;
        _scorecard = HostileJson.ParseLenient(world.ScorecardText);
        var weights = new List<(FuzzEndpoint, int)>
        {
            (FuzzEndpoint.Signals, 26), (FuzzEndpoint.PutAccount, 11), (FuzzEndpoint.PutOverride, 10), (FuzzEndpoint.DeleteOverride, 6),
            (FuzzEndpoint.PutWatchlist, 10), (FuzzEndpoint.DeleteWatchlist, 6), (FuzzEndpoint.PutScorecard, 8), (FuzzEndpoint.PreviewScorecard, 7),
            (FuzzEndpoint.Segment, 6), (FuzzEndpoint.SegmentBatch, 4), (FuzzEndpoint.SegmentV1, 7), (FuzzEndpoint.Zendesk, 8),
            (FuzzEndpoint.IntegrationTickets, 5), (FuzzEndpoint.IntegrationSurveys, 5),
            (FuzzEndpoint.PutPlaybook, 9), (FuzzEndpoint.DeletePlaybook, 5),
        };
        if (world.KeysApi)
        {
            weights.Add((FuzzEndpoint.PostKey, 9));
            weights.Add((FuzzEndpoint.DeleteKey, 7));
        }
        // Interleaved, so every chunk of the run hits every endpoint.
        var schedule = new List<FuzzEndpoint>();
        int max = weights.Max(w => w.Item2);
        for (int round = 0; round < max; round++)
        {
            foreach (var (endpoint, weight) in weights)
            {
                if (round < weight)
                {
                    schedule.Add(endpoint);
                }
            }
        }
        _schedule = [.. schedule];
        // Two bodies over the 8 MiB ingest limit, early and late in the run (they are big, so only two).
        int firstSignals = Array.IndexOf(_schedule, FuzzEndpoint.Signals);
        _oversize = [5 * _schedule.Length + firstSignals, 100 * _schedule.Length + firstSignals];
    }

    private readonly HashSet<int> _oversize;

    public IReadOnlyList<FuzzEndpoint> Endpoints => _schedule.Distinct().ToArray();

    public FuzzRequest Create(int index)
    {
        var r = new Random(unchecked((_seed * 1_000_003) ^ (index * 7919) ^ 0x5bd1e995));
        var endpoint = _schedule[index % _schedule.Length];
        var now = DateTimeOffset.UtcNow;
        var request = endpoint switch
        {
            FuzzEndpoint.Signals => Signals(index, r, now),
            FuzzEndpoint.PutAccount => BoundBody(index, r, endpoint, HttpMethod.Put, FuzzRoutes.Account(AccountRouteId(r)), ValidAccount),
            FuzzEndpoint.PutOverride => BoundBody(index, r, endpoint, HttpMethod.Put, FuzzRoutes.Override(AccountRouteId(r)), rr => ValidOverride(rr, now)),
            FuzzEndpoint.DeleteOverride => Bodiless(index, r, endpoint, HttpMethod.Delete, FuzzRoutes.Override(AccountRouteId(r)) + ReasonQuery(r)),
            FuzzEndpoint.PutWatchlist => BoundBody(index, r, endpoint, HttpMethod.Put, FuzzRoutes.Watchlist(WatchlistRouteId(r)), ValidWatchlist),
            FuzzEndpoint.DeleteWatchlist => Bodiless(index, r, endpoint, HttpMethod.Delete, FuzzRoutes.Watchlist(WatchlistRouteId(r)) + JunkQuery(r)),
            FuzzEndpoint.PutScorecard => Scorecard(index, r, endpoint, HttpMethod.Put, FuzzRoutes.Scorecard),
            FuzzEndpoint.PreviewScorecard => Scorecard(index, r, endpoint, HttpMethod.Post, FuzzRoutes.Preview),
            FuzzEndpoint.PutPlaybook => BoundBody(index, r, endpoint, HttpMethod.Put, FuzzRoutes.Playbook(PlaybookRouteId(r)), ValidPlaybook),
            FuzzEndpoint.DeletePlaybook => Bodiless(index, r, endpoint, HttpMethod.Delete, FuzzRoutes.Playbook(PlaybookRouteId(r)) + JunkQuery(r)),
            FuzzEndpoint.PostKey => BoundBody(index, r, endpoint, HttpMethod.Post, FuzzRoutes.Keys, ValidKey),
            FuzzEndpoint.Segment or FuzzEndpoint.SegmentBatch or FuzzEndpoint.SegmentV1 => Segment(index, r, endpoint, now),
            FuzzEndpoint.Zendesk => Zendesk(index, r, now),
            FuzzEndpoint.IntegrationTickets or FuzzEndpoint.IntegrationSurveys => Generic(index, r, endpoint, now),
            _ => Bodiless(index, r, endpoint, HttpMethod.Delete, FuzzRoutes.Key(KeyRouteId(r)) + JunkQuery(r)),
        };
        Classify(request, r, now);
        return request;
    }

    // ---------------------------------------------------------------- classification and protection of known state

    /// <summary>
    /// Works out where the request really lands and whether the oracle is sure it is refused;
    /// a request that could change a known account or watchlist is re-aimed at a throwaway one.
    /// </summary>
    private void Classify(FuzzRequest q, Random r, DateTimeOffset now)
    {
        for (int attempt = 0; ; attempt++)
        {
            (q.Effective, q.EffectiveId) = FuzzRoutes.Resolve(q.Method, q.Uri);
            q.KnownTarget = null;
            string? id = q.EffectiveId;
            switch (q.Effective)
            {
                case FuzzEndpoint.Signals:
                    q.MustReject = _oracle.SignalsRejected(q.Body ?? [], now, out var accounts);
                    if (!q.MustReject && accounts.Any(a => _world.KnownAccounts.Contains(a)))
                    {
                        // Accepted signals must not land on a known account: move them to throwaway ones.
                        q.Body = attempt == 0
                            ? Replace(q.Body!, "kn-acct-", "tw-acct-")
                            : HostileJson.Encode(HostileJson.Write(BatchWithOneBadSignal(r, q.Index, _world.KnownAccounts), r));
                        q.Strategy += attempt == 0 ? " (accepted: moved to throwaway accounts)" : " (accepted: replaced by a batch with one bad signal)";
                        continue;
                    }
                    q.KnownTarget = q.MustReject ? KnownIn(q.Body) : null;
                    return;
                case FuzzEndpoint.PutAccount:
                    q.MustReject = _oracle.AccountRejected(id!, q.ContentType, q.Body);
                    break;
                case FuzzEndpoint.PutOverride:
                    q.MustReject = _oracle.OverrideRejected(q.ContentType, q.Body, now);
                    break;
                case FuzzEndpoint.DeleteOverride:
                    q.MustReject = false; // lifting is valid for any existing account
                    break;
                case FuzzEndpoint.PutWatchlist:
                    q.MustReject = _oracle.WatchlistRejected(id!, q.ContentType, q.Body);
                    break;
                case FuzzEndpoint.DeleteWatchlist:
                    q.MustReject = false;
                    break;
                case FuzzEndpoint.PutPlaybook:
                    q.MustReject = _oracle.PlaybookRejected(id!, q.ContentType, q.Body);
                    if (!q.MustReject && !_oracle.PlaybookUrlSafe(q.Body))
                    {
                        // Might be accepted with a URL other than the closed loopback port: never save that.
                        q.Body = HostileJson.Encode(HostileJson.Write(ValidPlaybook(r), r));
                        q.Strategy += " (maybe valid with an outside URL: replaced by a valid loopback playbook)";
                        continue;
                    }
                    break;
                case FuzzEndpoint.DeletePlaybook:
                    q.MustReject = false; // deleting is valid for any existing playbook
                    break;
                case FuzzEndpoint.PutScorecard:
                    q.MustReject = FuzzOracle.ScorecardRejected(q.Body ?? []);
                    if (!q.MustReject)
                    {
                        throw new InvalidOperationException($"the generator made a valid scorecard: {q.Describe()}");
                    }
                    return;
                case FuzzEndpoint.Segment or FuzzEndpoint.SegmentBatch or FuzzEndpoint.SegmentV1 or FuzzEndpoint.Zendesk
                    or FuzzEndpoint.IntegrationTickets or FuzzEndpoint.IntegrationSurveys:
                    if (ClassifyIntegration(q, attempt))
                    {
                        continue;
                    }
                    return;
                default:
                    q.MustReject = false;
                    return;
            }

            bool knownAccount = q.Effective is FuzzEndpoint.PutAccount or FuzzEndpoint.PutOverride or FuzzEndpoint.DeleteOverride && _world.KnownAccounts.Contains(id);
            bool knownWatchlist = q.Effective is FuzzEndpoint.PutWatchlist or FuzzEndpoint.DeleteWatchlist && _world.KnownWatchlists.Contains(id);
            bool knownPlaybook = q.Effective is FuzzEndpoint.PutPlaybook or FuzzEndpoint.DeletePlaybook && _world.KnownPlaybooks.Contains(id);
            if (!knownAccount && !knownWatchlist && !knownPlaybook)
            {
                return;
            }
            if (q.MustReject)
            {
                q.KnownTarget = id;
                return;
            }
            // Possibly valid: aim it at a throwaway instead (same method, body and content type).
            string path = q.Effective switch
            {
                FuzzEndpoint.PutAccount => FuzzRoutes.Account(r.Pick(_world.ThrowawayAccounts)),
                FuzzEndpoint.PutOverride or FuzzEndpoint.DeleteOverride => FuzzRoutes.Override(r.Pick(_world.ThrowawayAccounts)),
                FuzzEndpoint.PutPlaybook or FuzzEndpoint.DeletePlaybook => FuzzRoutes.Playbook(r.Pick(_world.ThrowawayPlaybooks)),
                _ => FuzzRoutes.Watchlist(r.Pick(_world.ThrowawayWatchlists)),
            };
            q.Uri = new Uri(_world.BaseAddress, path);
            q.Strategy += " (maybe valid: re-aimed at a throwaway id)";
        }
    }

    private string? KnownIn(byte[]? body)
    {
        if (body is null)
        {
            return null;
        }
        string text = Encoding.UTF8.GetString(body);
        return _world.KnownAccounts.FirstOrDefault(k => text.Contains(k, StringComparison.Ordinal));
    }

    private static byte[] Replace(byte[] body, string from, string to)
    {
        byte[] f = Encoding.UTF8.GetBytes(from), t = Encoding.UTF8.GetBytes(to);
        var copy = (byte[])body.Clone();
        for (int i = copy.AsSpan().IndexOf(f); i >= 0;)
        {
            t.CopyTo(copy, i);
            int next = copy.AsSpan(i + f.Length).IndexOf(f);
            i = next < 0 ? -1 : i + f.Length + next;
        }
        return copy;
    }

    // ---------------------------------------------------------------- requests

    private FuzzRequest Make(int index, FuzzEndpoint endpoint, HttpMethod method, string path, byte[]? body, string? contentType, string strategy, Random r)
    {
        Uri uri;
        try
        {
            uri = new Uri(_world.BaseAddress, path);
            try
            {
                _ = Microsoft.AspNetCore.Http.PathString.FromUriComponent(uri);
            }
            catch (InvalidOperationException)
            {
                // An encoded NUL in the path: Kestrel answers 400 before the app sees it, and the
                // in-memory TestServer cannot carry it at all. Send the text "%00" instead.
                uri = new Uri(_world.BaseAddress, path.Replace("%00", "%2500", StringComparison.Ordinal));
                strategy += " (%00 in the path sent as text)";
            }
        }
        catch (UriFormatException)
        {
            uri = new Uri(_world.BaseAddress, endpoint switch
            {
                FuzzEndpoint.PutAccount => FuzzRoutes.Account("uri-rejected"),
                FuzzEndpoint.PutOverride or FuzzEndpoint.DeleteOverride => FuzzRoutes.Override("uri-rejected"),
                FuzzEndpoint.PutWatchlist or FuzzEndpoint.DeleteWatchlist => FuzzRoutes.Watchlist("uri-rejected"),
                FuzzEndpoint.DeleteKey => FuzzRoutes.Key("uri-rejected"),
                FuzzEndpoint.PutPlaybook or FuzzEndpoint.DeletePlaybook => FuzzRoutes.Playbook("uri-rejected"),
                _ => path.Split('?')[0],
            });
            strategy += " (path not a URI: replaced)";
        }
        return new FuzzRequest
        {
            Index = index,
            Intended = endpoint,
            Method = method,
            Uri = uri,
            Body = body,
            ContentType = contentType,
            Chunked = body is { Length: > 0 } && r.Chance(3),
            Strategy = strategy,
        };
    }

    private FuzzRequest Bodiless(int index, Random r, FuzzEndpoint endpoint, HttpMethod method, string path)
    {
        // A DELETE with a body is odd but legal; the server should ignore it.
        byte[]? body = r.Chance(5) ? HostileJson.RandomBytes(r) : null;
        return Make(index, endpoint, method, path, body, body is null ? null : "application/json", body is null ? "route" : "route + stray body", r);
    }

    private FuzzRequest BoundBody(int index, Random r, FuzzEndpoint endpoint, HttpMethod method, string path, Func<Random, JsonNode> valid)
    {
        var (body, what) = HostileBody(r, valid);
        return Make(index, endpoint, method, path + JunkQuery(r), body, JsonContentType(r), what, r);
    }

    private FuzzRequest Signals(int index, Random r, DateTimeOffset now)
    {
        bool known = r.Chance(55);
        string[] pool = known ? _world.KnownAccounts : _world.ThrowawayAccounts;
        int k = 0;
        JsonNode Valid(Random rr)
        {
            var signals = new JsonArray();
            int n = rr.Next(1, 6);
            for (int i = 0; i < n; i++)
            {
                signals.Add(ValidSignal(rr, rr.Pick(pool), $"fz{_seed}-{index}-{k++}", now));
            }
            return new JsonObject { ["signals"] = signals };
        }

        byte[] body;
        string what;
        switch (_oversize.Contains(index) ? 8 : r.Next(100))
        {
            case < 6:
                // Valid-looking batch with exactly one hostile field in one signal.
                body = HostileJson.Encode(HostileJson.Write(BatchWithOneBadSignal(r, index, pool), r));
                what = "valid batch, one hostile signal";
                break;
            case < 8:
                // Too many signals: 5001+ tiny ones.
                var many = new StringBuilder("{\"signals\":[");
                for (int i = 0; i < 5_001 + r.Next(100); i++)
                {
                    many.Append(i == 0 ? "" : ",").Append("{\"id\":\"m").Append(i).Append("\",\"accountId\":\"").Append(r.Pick(pool)).Append("\",\"type\":\"usage\",\"timestamp\":\"").Append(Iso(now.AddHours(-1))).Append("\"}");
                }
                body = Encoding.UTF8.GetBytes(many.Append("]}").ToString());
                what = "more signals than a batch may hold";
                break;
            case 8 when _oversize.Contains(index):
                // A few bodies over the 8 MiB limit (kept rare: they are big).
                body = new byte[8 * 1024 * 1024 + 1 + r.Next(1024)];
                Encoding.UTF8.GetBytes("{\"signals\":[\"").CopyTo(body, 0);
                body.AsSpan(13).Fill((byte)'a');
                what = "body over the size limit";
                break;
            default:
                (body, what) = HostileBody(r, Valid);
                break;
        }
        string? contentType = r.Chance(85) ? "application/json" : r.Pick(OddContentTypes);
        return Make(index, FuzzEndpoint.Signals, HttpMethod.Post, FuzzRoutes.Signals + JunkQuery(r), body, contentType, what + (known ? " [known accounts]" : ""), r);
    }

    private JsonObject BatchWithOneBadSignal(Random r, int index, string[] pool)
    {
        var now = DateTimeOffset.UtcNow;
        var signals = new JsonArray();
        int n = r.Next(1, 4);
        for (int i = 0; i < n; i++)
        {
            signals.Add(ValidSignal(r, r.Pick(pool), $"fz{_seed}-{index}-b{i}", now));
        }
        var bad = ValidSignal(r, r.Pick(pool), $"fz{_seed}-{index}-bad", now);
        // A field that is certainly wrong, whatever else the signal says.
        switch (r.Next(10))
        {
            case 8: bad["type"] = "touchpoint"; bad["kind"] = r.Pick(new[] { "lunch", "Meeting", "" }); bad["by"] = "csm"; break;
            case 9: bad["type"] = "selfservice"; bad["userId"] = "u"; bad["articleId"] = "kb"; bad["action"] = r.Pick(new[] { "liked", "not-helpful", "VIEW" }); break;
            case 0: bad["type"] = r.Pick(new[] { "Usage", "usage ", "usage\u0000", "\u202Eegasu", "' OR 1=1--", "<script>" }); break;
            case 1: bad["timestamp"] = r.Pick(new[] { "2026-13-45T99:99:99Z", "1969-12-31T23:59:59Z", "9999-12-31T23:59:59Z", "yesterday", "" }); break;
            case 2: bad["id"] = r.Chance(50) ? new string('i', SignalIdTooLong) : "id\u0000"; break;
            case 3: bad["accountId"] = r.Chance(50) ? RawJson("1e400") : JsonValue.Create("acc\r\nX-Injected: 1"); break;
            case 4: bad.Remove("timestamp"); break;
            case 5: bad["type"] = "survey"; bad["kind"] = "nps"; bad["score"] = r.Chance(50) ? RawJson("NaN") : JsonValue.Create(11); break;
            case 6: bad["type"] = "revenue"; bad["mrr"] = r.Pick(new JsonNode?[] { JsonValue.Create(-1), RawJson("1e400"), JsonValue.Create("100"), JsonValue.Create(1_000_000_001m) }); break;
            default: bad["type"] = "usage"; bad["count"] = r.Pick(new JsonNode?[] { JsonValue.Create(0), JsonValue.Create(-5), RawJson("2147483648"), JsonValue.Create(1.5), JsonValue.Create("many") }); break;
        }
        signals.Insert(r.Next(signals.Count + 1), bad);
        return new JsonObject { ["signals"] = signals };
    }

    private const int SignalIdTooLong = 201;

    private static JsonObject ValidSignal(Random r, string accountId, string id, DateTimeOffset now)
    {
        var o = new JsonObject
        {
            ["id"] = id,
            ["accountId"] = accountId,
            ["timestamp"] = Iso(now.AddMinutes(-r.Next(1, 60 * 24 * 30))),
        };
        switch (r.Next(6))
        {
            case 4:
                o["type"] = "touchpoint";
                o["kind"] = r.Pick(new[] { "meeting", "call", "email", "qbr", "training", "onboarding" });
                o["by"] = "csm-" + r.Next(5);
                o["note"] = r.Chance(50) ? "talked renewal" : null;
                break;
            case 5:
                o["type"] = "selfservice";
                o["userId"] = "user-" + r.Next(50);
                o["articleId"] = "kb-" + r.Next(30);
                o["action"] = r.Pick(new[] { "view", "helpful", "not_helpful" });
                break;
            case 0:
                o["type"] = "usage";
                o["userId"] = "user-" + r.Next(50);
                o["feature"] = r.Pick(new[] { "reports.export", "dashboards.create", "api.call", "users.invite" });
                o["count"] = r.Next(1, 100);
                break;
            case 1:
                o["type"] = "ticket";
                o["ticketId"] = "T-" + r.Next(100);
                o["status"] = r.Pick(new[] { "opened", "first_response", "solved", "reopened", "closed" });
                o["priority"] = r.Pick(new[] { "low", "normal", "high", "urgent" });
                o["tags"] = new JsonArray("billing", "bug");
                o["agentReplies"] = r.Next(0, 10);
                break;
            case 2:
                o["type"] = "survey";
                o["kind"] = "nps";
                o["score"] = r.Next(0, 11);
                o["respondentId"] = "resp-" + r.Next(20);
                o["comment"] = "fine";
                break;
            default:
                o["type"] = "revenue";
                o["mrr"] = r.Next(0, 100_000) + 0.5m;
                break;
        }
        return o;
    }

    private static JsonNode ValidAccount(Random r) => new JsonObject
    {
        ["name"] = "Fuzz Co " + r.Next(100),
        ["owner"] = "tw-owner",
        ["segment"] = r.Pick(new[] { "smb", "mid-market", "enterprise" }),
        ["seats"] = r.Next(0, 500),
        ["renewalDate"] = "2027-03-01",
    };

    private static JsonNode ValidOverride(Random r, DateTimeOffset now)
    {
        var o = new JsonObject();
        if (r.Chance(50))
        {
            o["band"] = r.Pick(new[] { "red", "yellow", "green" });
        }
        else
        {
            o["score"] = Math.Round(r.NextDouble() * 100, 1);
        }
        o["reason"] = "fuzz override " + r.Next(1000);
        o["expiresAt"] = Iso(now.AddDays(r.Next(1, 300)));
        return o;
    }

    private static JsonNode ValidWatchlist(Random r)
    {
        var filter = new JsonObject();
        if (r.Chance(60)) { filter["bands"] = new JsonArray("red", "yellow"); }
        if (r.Chance(40)) { filter["minScore"] = 10; filter["maxScore"] = 90; }
        if (r.Chance(40)) { filter["owner"] = "tw-owner"; }
        if (r.Chance(30)) { filter["segment"] = "smb"; }
        if (r.Chance(30)) { filter["minDrop7d"] = 5; }
        if (r.Chance(30)) { filter["renewalWithinDays"] = 90; }
        if (r.Chance(30)) { filter["minDaysSilent"] = 7; }
        return new JsonObject
        {
            ["name"] = "Fuzz list " + r.Next(100),
            ["filter"] = filter,
            ["sort"] = r.Pick(new[] { "score", "drop7d", "renewal" }),
            ["limit"] = r.Next(1, 200),
        };
    }

    /// <summary>The URL every playbook the fuzz may save posts to: a closed port on loopback (discard), so nothing real is reached.</summary>
    public const string ClosedLoopbackUrl = "http://127.0.0.1:9/";

    private JsonNode ValidPlaybook(Random r)
    {
        var trigger = r.Next(4) switch
        {
            0 => r.Chance(50)
                ? new JsonObject { ["type"] = "band_falls", ["to"] = r.Pick(new[] { "red", "yellow" }) }
                : new JsonObject { ["type"] = "band_falls", ["to"] = "red", ["from"] = r.Pick(new[] { "yellow", "green" }) },
            1 => new JsonObject { ["type"] = "score_drop", ["points"] = Math.Round(0.5 + (r.NextDouble() * 99), 1) },
            2 => new JsonObject { ["type"] = "enters_watchlist", ["watchlistId"] = r.Pick(r.Chance(50) ? _world.KnownWatchlists : _world.BuiltInWatchlists) },
            _ => new JsonObject { ["type"] = "no_usage", ["days"] = r.Next(1, 3661) },
        };
        var o = new JsonObject
        {
            ["name"] = "Fuzz playbook " + r.Next(100),
            ["trigger"] = trigger,
            ["action"] = new JsonObject { ["type"] = r.Pick(new[] { "webhook", "slack" }), ["url"] = ClosedLoopbackUrl + "fz" + r.Next(100) },
        };
        if (r.Chance(70))
        {
            o["cooldownMinutes"] = r.Next(0, 2000);
        }
        return o;
    }

    private static JsonNode ValidKey(Random r)
    {
        var o = new JsonObject
        {
            ["name"] = "fuzz key " + r.Next(100),
            ["scopes"] = r.Chance(50) ? new JsonArray("read") : new JsonArray("ingest", "read"),
        };
        if (r.Chance(50))
        {
            o["owner"] = "tw-owner";
        }
        return o;
    }

    // ---------------------------------------------------------------- scorecards

    private FuzzRequest Scorecard(int index, Random r, FuzzEndpoint endpoint, HttpMethod method, string path)
    {
        byte[] body;
        string what;
        if (endpoint == FuzzEndpoint.PreviewScorecard && r.Chance(12))
        {
            // Some previews of valid cards: the preview path itself runs (it applies nothing).
            var card = _scorecard.DeepClone();
            card["name"] = "Preview " + r.Pick(Unicode.Where(u => !u.Any(char.IsSurrogate)).ToArray());
            body = HostileJson.Encode(HostileJson.Write(card, r));
            what = "valid scorecard (preview only)";
        }
        else
        {
            switch (r.Next(10))
            {
                case 0:
                    // Text damage of the file as written (comments and all).
                    (body, what) = HostileJson.Damage(Encoding.UTF8.GetBytes(_world.ScorecardText), r);
                    what = "scorecard file text " + what;
                    break;
                case 1:
                    body = new byte[ScorecardApi.MaxScorecardBytes + 1 + r.Next(10_000)];
                    Array.Fill(body, (byte)' ');
                    Encoding.UTF8.GetBytes(_world.ScorecardText).CopyTo(body, 0);
                    what = "scorecard over the size limit";
                    break;
                case 2:
                    var broken = _scorecard.DeepClone();
                    what = BreakScorecard(broken, r);
                    body = HostileJson.Encode(HostileJson.Write(broken, r));
                    break;
                default:
                    (body, what) = HostileBody(r, _ => _scorecard.DeepClone());
                    break;
            }
        }

        if (endpoint == FuzzEndpoint.PutScorecard)
        {
            // Never a valid scorecard on PUT: the version must not move.
            for (int i = 0; !FuzzOracle.ScorecardRejected(body); i++)
            {
                byte[]? next = null;
                if (i < 3)
                {
                    try
                    {
                        var node = HostileJson.ParseLenient(Encoding.UTF8.GetString(body));
                        string broke = BreakScorecard(node, r);
                        next = HostileJson.Encode(HostileJson.Write(node, r));
                        what += "; then " + broke;
                    }
                    catch (Exception ex) when (ex is System.Text.Json.JsonException or ArgumentException or InvalidOperationException)
                    {
                        // e.g. duplicate keys, which JsonNode refuses: fall through to the sure way.
                    }
                }
                if (next is null)
                {
                    next = [(byte)'x', .. body];
                    what += "; then a leading 'x'";
                }
                body = next;
            }
        }
        string? contentType = r.Chance(85) ? "application/json" : r.Pick(OddContentTypes);
        return Make(index, endpoint, method, path + JunkQuery(r), body, contentType, what, r);
    }

    /// <summary>Breaks a scorecard for certain (a semantic error the parser must name).</summary>
    private static string BreakScorecard(JsonNode card, Random r)
    {
        var components = card["components"] as JsonArray;
        switch (r.Next(12))
        {
            case 0:
                card["bands"] = new JsonObject { ["red"] = RawJson(r.Pick(new[] { "1e400", "NaN", "70", "-1", "100" })), ["yellow"] = 70 };
                return "bands.red broken";
            case 1:
                card["bands"] = r.Chance(50) ? null : JsonValue.Create("red");
                return "bands not an object";
            case 2 when components is { Count: > 0 }:
                components.RemoveAt(r.Next(components.Count));
                return "a required component removed";
            case 3 when components is { Count: > 0 }:
                components[r.Next(components.Count)]!["weight"] = RawJson(r.Pick(new[] { "0", "-1", "NaN", "Infinity", "1e400", "\"10\"", "null" }));
                return "component weight broken";
            case 4 when components is { Count: > 0 }:
                var measures = components[r.Next(components.Count)]!["measures"] as JsonArray;
                if (measures is { Count: > 0 })
                {
                    measures[r.Next(measures.Count)]!["metric"] = r.Pick(new[] { "logins_per_fortnight", "' OR 1=1--", "<script>", "${jndi:ldap://x}", "nps\u0000", "" });
                }
                else
                {
                    components[0]!["measures"] = new JsonArray();
                }
                return "unknown metric";
            case 5 when components is { Count: > 0 }:
                components[r.Next(components.Count)]!["measures"] = r.Pick(new JsonNode?[] { new JsonArray(), null, JsonValue.Create("x"), new JsonObject() });
                return "measures broken";
            case 6 when components is { Count: > 0 }:
                components.Add(components[r.Next(components.Count)]!.DeepClone());
                return "duplicate component";
            case 7 when components is { Count: > 0 }:
                var m = (components[0]!["measures"] as JsonArray)?.FirstOrDefault() as JsonObject;
                if (m is not null)
                {
                    m["windowDays"] = RawJson(r.Pick(new[] { "0", "-7", "1e400", "2147483648", "7.5", "\"7\"", "100000" }));
                    m["linear"] = new JsonObject { ["worst"] = 1, ["best"] = 2 };
                    return "windowDays broken";
                }
                card["components"] = null;
                return "components null";
            case 8 when components is { Count: > 0 }:
                var measure = (components[0]!["measures"] as JsonArray)?.FirstOrDefault() as JsonObject;
                if (measure is not null)
                {
                    measure.Remove("linear");
                    measure["steps"] = new JsonArray(new JsonObject { ["upTo"] = 7, ["score"] = 60 }, new JsonObject { ["upTo"] = 2, ["score"] = RawJson("1e400") });
                    return "unordered steps";
                }
                card.AsObject().Remove("components");
                return "components removed";
            case 9:
                card["components"] = RawJson(r.Chance(50) ? HugeArrayOfObjects(r) : DeepNesting(r));
                return "components huge or deep";
            case 10:
                card["components"] = r.Pick(new JsonNode?[] { JsonValue.Create("all"), JsonValue.Create(5), new JsonObject() });
                return "components wrong type";
            default:
                card.AsObject().Remove("bands");
                return "bands removed";
        }
    }

    private static string HugeArrayOfObjects(Random r)
    {
        var sb = new StringBuilder("[");
        int n = r.Next(2_000, 12_000);
        for (int i = 0; i < n; i++)
        {
            sb.Append(i == 0 ? "" : ",").Append("{\"name\":\"c").Append(i).Append("\",\"weight\":1,\"measures\":[]}");
        }
        return sb.Append(']').ToString();
    }

    // ---------------------------------------------------------------- bodies

    /// <summary>A hostile body: a mutated valid document most of the time, something from scratch otherwise.</summary>
    private static (byte[] Body, string What) HostileBody(Random r, Func<Random, JsonNode> valid)
    {
        int roll = r.Next(100);
        switch (roll)
        {
            case < 40:
            {
                var doc = valid(r);
                int n = r.Next(1, 4);
                var what = new List<string>();
                for (int i = 0; i < n; i++)
                {
                    what.Add(HostileJson.MutateOnce(doc, r));
                }
                var bytes = HostileJson.Encode(HostileJson.Write(doc, r));
                if (r.Chance(15))
                {
                    (bytes, string damage) = HostileJson.Damage(bytes, r);
                    what.Add(damage);
                }
                return (bytes, "mutated: " + string.Join(", ", what));
            }
            case < 48:
            {
                var ok = HostileJson.Encode(HostileJson.Write(valid(r), r));
                return r.Chance(60) ? (HostileJson.Truncate(ok, r), "truncated valid JSON") : (HostileJson.Flip(ok, r), "valid JSON with flipped bytes");
            }
            case < 55:
                return (HostileJson.RandomBytes(r), "random bytes");
            case < 61:
                return (HostileJson.Encode(HostileJson.Write(RandomDocument(r), r)), "random JSON");
            case < 66:
            {
                if (r.Chance(50))
                {
                    return (Encoding.UTF8.GetBytes(DeepNesting(r)), "deep nesting");
                }
                var doc = valid(r);
                int levels = r.Chance(50) ? 1_000 : 3_000;
                string wrapped = new string('[', levels) + HostileJson.Write(doc, r) + new string(']', levels);
                return (HostileJson.Encode(wrapped), $"valid document inside {levels} arrays");
            }
            case < 71:
            {
                var doc = valid(r);
                ReplaceLeaf(doc, r, _ => r.Chance(60) ? JsonValue.Create(LongString(r)) : RawJson(HugeArray(r)));
                return (HostileJson.Encode(HostileJson.Write(doc, r)), "a field made huge");
            }
            case < 77:
            {
                var doc = valid(r);
                ReplaceLeaf(doc, r, current => current?.GetValueKind() == System.Text.Json.JsonValueKind.String
                    ? JsonValue.Create(current.GetValue<string>() + r.Pick(InvalidUtf8))
                    : JsonValue.Create(r.Pick(InvalidUtf8)));
                return (HostileJson.Encode(HostileJson.Write(doc, r)), "invalid UTF-8 in a string");
            }
            case < 83:
            {
                var doc = valid(r);
                int n = r.Next(1, 3);
                for (int i = 0; i < n; i++)
                {
                    ReplaceLeaf(doc, r, _ => RawJson(r.Pick(NumberLiterals)));
                }
                return (HostileJson.Encode(HostileJson.Write(doc, r)), "numbers out of range / NaN / Infinity / 1e400");
            }
            case < 87:
            {
                var doc = valid(r);
                ReplaceLeaf(doc, r, current => HostileJson.WrongType(current, r));
                ReplaceLeaf(doc, r, current => HostileJson.WrongType(current, r));
                return (HostileJson.Encode(HostileJson.Write(doc, r)), "wrong types");
            }
            case < 91:
            {
                var doc = valid(r);
                if (doc is JsonObject o && o.Count > 0)
                {
                    var (key, value) = o.ElementAt(r.Next(o.Count));
                    o[key + DuplicateMark + "1"] = r.Chance(50) ? Value(r) : value?.DeepClone();
                    if (r.Chance(30))
                    {
                        o[key + DuplicateMark + "2"] = Value(r);
                    }
                    return (HostileJson.Encode(HostileJson.Write(doc, r)), $"duplicate key {key}");
                }
                return (HostileJson.Encode(HostileJson.Write(doc, r)), "duplicate key (none to duplicate)");
            }
            case < 95:
            {
                var doc = valid(r);
                ReplaceLeaf(doc, r, _ => JsonValue.Create(r.Chance(50) ? r.Pick(Injections) : r.Pick(Unicode)));
                ReplaceLeaf(doc, r, _ => JsonValue.Create(String(r)));
                return (HostileJson.Encode(HostileJson.Write(doc, r)), "injection / unicode strings");
            }
            case < 98:
                return (Encoding.UTF8.GetBytes(r.Pick(new[] { "", " ", "null", "[]", "{}", "true", "0", "\"str\"", "[null]", "{\"\":null}", "\u0000", "{\"a\":1}}" })), "literal body");
            default:
                return (HostileJson.Encode(HostileJson.Write(HostileJson.WrongType(valid(r), r), r)), "wrong type at the root");
        }
    }

    /// <summary>Replaces a random leaf (a value that is not an object or array, or an empty one).</summary>
    private static void ReplaceLeaf(JsonNode root, Random r, Func<JsonNode?, JsonNode?> make)
    {
        var leaves = new List<(JsonNode Parent, string? Key, int Index, JsonNode? Value)>();
        void Walk(JsonNode n)
        {
            if (n is JsonObject o)
            {
                foreach (var (k, v) in o.ToArray())
                {
                    if (v is JsonObject or JsonArray)
                    {
                        Walk(v);
                    }
                    else
                    {
                        leaves.Add((o, k, -1, v));
                    }
                }
            }
            else if (n is JsonArray a)
            {
                for (int i = 0; i < a.Count; i++)
                {
                    if (a[i] is JsonObject or JsonArray)
                    {
                        Walk(a[i]!);
                    }
                    else
                    {
                        leaves.Add((a, null, i, a[i]));
                    }
                }
            }
        }
        Walk(root);
        if (leaves.Count == 0)
        {
            return;
        }
        var (parent, key, index, value) = r.Pick(leaves);
        var replacement = make(value);
        if (key is not null)
        {
            parent.AsObject()[key] = replacement;
        }
        else
        {
            parent.AsArray()[index] = replacement;
        }
    }

    // ---------------------------------------------------------------- routes, queries, headers

    private static readonly string[] RouteSuffixes =
    [
        "%00", "%20", "%0D%0A", "%0A", "%09", "%2F", "%2F..%2F..", "%2e%2e", "/", "%C0%AF", "%ED%A0%80", "%FF", "%ZZ", "%", "%%", "%2",
        "+", ";x=1", "%3Fq=1", "%23frag", "%E2%80%AE", "%E2%80%8B", "%EF%BB%BF", "%5C", "%7F", "%C2%85", "%25", "%2500", ".", "..", "%u0041",
        "%EF%BF%BF", "%F4%90%80%80", "%c3%28",
    ];

    private static readonly string[] WeirdIds =
    [
        ".", "..", "...", "%2e", "%2E%2E", "%2e%2e%2fetc%2fpasswd", "%2F", "%2F%2F", "%00", "%20", "%20%20", "%09", "%0D%0A", "%E2%80%AE", "%E2%80%8B",
        "%F0%9F%98%80", "%ED%A0%80", "%C0%80", "%FF%FE", "CON", "NUL", "aux.txt", "a.b.c", ".hidden", "~root", "%7E", "*", "%2A", "null", "undefined",
        "0", "-1", "1e400", "NaN", "true", "[]", "%7B%7D", "%5B%5D", "%22%22", "%27", "%3Cscript%3E", "a%2Fb", "a%5Cb", "%25%32%46",
    ];

    private static string Escape(string s)
    {
        try
        {
            return Uri.EscapeDataString(s);
        }
        catch (Exception)
        {
            return "escape-failed";
        }
    }

    private static string HostileRouteId(Random r, string near) => r.Next(10) switch
    {
        0 or 1 or 2 => Escape(near) + r.Pick(RouteSuffixes),
        3 => r.Pick(RouteSuffixes) + Escape(near),
        4 => Escape(near.ToUpperInvariant()),
        5 => r.Pick(WeirdIds),
        6 => Escape(r.Pick(Injections)),
        7 => Escape(new string(r.Pick(Unicode).Where(c => !char.IsSurrogate(c)).ToArray()) + near),
        8 => r.Chance(50)
            ? new string('a', r.Pick(new[] { 201, 1_000, 8_000, 30_000, 60_000 }))
            : string.Concat(Enumerable.Repeat("%41", r.Pick(new[] { 201, 2_000, 15_000 }))),
        _ => Escape(near) + "%2F" + Escape(r.Pick(Injections)),
    };

    private string AccountRouteId(Random r) => r.Next(10) switch
    {
        < 5 => r.Pick(_world.KnownAccounts),
        < 7 => r.Pick(_world.ThrowawayAccounts),
        8 => "missing-" + r.Next(1000),
        _ => HostileRouteId(r, r.Pick(r.Chance(70) ? _world.KnownAccounts : _world.ThrowawayAccounts)),
    } is var id && id.Length > 0 ? id : "empty";

    private string WatchlistRouteId(Random r) => r.Next(10) switch
    {
        < 4 => r.Pick(_world.KnownWatchlists),
        4 => r.Pick(_world.BuiltInWatchlists),
        < 7 => r.Pick(_world.ThrowawayWatchlists),
        _ => HostileRouteId(r, r.Pick(r.Chance(70) ? _world.KnownWatchlists : _world.BuiltInWatchlists)),
    };

    private string PlaybookRouteId(Random r) => r.Next(10) switch
    {
        < 4 => r.Pick(_world.KnownPlaybooks),
        < 7 => r.Pick(_world.ThrowawayPlaybooks),
        7 => "missing-pb-" + r.Next(1000),
        _ => HostileRouteId(r, r.Pick(_world.KnownPlaybooks)),
    };

    private string KeyRouteId(Random r) => r.Next(6) switch
    {
        0 => r.Pick(_world.ConfiguredKeyIds),
        1 => "key_" + r.Next().ToString("x12", CultureInfo.InvariantCulture),
        _ => HostileRouteId(r, r.Chance(50) ? "key_0123456789ab" : r.Pick(_world.ConfiguredKeyIds)),
    };

    private static string ReasonQuery(Random r) => r.Next(6) switch
    {
        0 => "",
        1 => "?reason=" + Escape(String(r).Replace(Raw, "", StringComparison.Ordinal)),
        2 => "?reason=" + r.Pick(RouteSuffixes) + "&reason=" + Escape(r.Pick(Injections)),
        3 => "?reason=" + string.Concat(Enumerable.Repeat("%00", 1000)),
        4 => "?reason=" + new string('r', 20_000),
        _ => JunkQuery(r),
    };

    private static string JunkQuery(Random r) => !r.Chance(10) ? "" : r.Next(5) switch
    {
        0 => "?x=%00",
        1 => "?" + Escape(r.Pick(Injections)) + "=" + Escape(r.Pick(Injections)),
        2 => "?a=1&a=2&a=" + new string('3', 5_000),
        3 => "?%ZZ=%%&=&&&",
        _ => "?limit=1e400&offset=-1&band=" + Escape(r.Pick(NearMisses)),
    };

    private static readonly string[] OddContentTypes =
    [
        "text/plain", "application/json; charset=utf-16", "application/json; charset=latin1", "application/json; charset=bogus",
        "application/json; charset=\"utf-8\"", "application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz",
        "application/problem+json", "application/xml", "*/*", "APPLICATION/JSON", "application/json;;;", "application/json; charset=",
        "application/vnd.api+json; charset=utf-32", "image/png", "", "application/json; charset=utf-7",
    ];

    private static string? JsonContentType(Random r) => r.Next(100) switch
    {
        < 82 => "application/json",
        < 86 => "application/json; charset=utf-8",
        < 89 => null,
        _ => r.Pick(OddContentTypes),
    };
}
