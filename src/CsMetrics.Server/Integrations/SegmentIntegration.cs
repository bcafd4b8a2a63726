using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Integrations;
using CsMetrics.Grains.Ingest;
using CsMetrics.Server.Auth;
using CsMetrics.Server.Hosting;
using Microsoft.Extensions.Options;
using static CsMetrics.Server.Integrations.IntegrationSignals;

namespace CsMetrics.Server.Integrations;

/// <summary>
/// Segment HTTP Tracking API compatibility: <c>track</c>, <c>identify</c>, <c>group</c> and
/// <c>batch</c>, authenticated with an ingest key as the Basic-auth username (Segment's write
/// key). Mapping: docs/integrations.md#segment.
/// </summary>
public static class SegmentIntegration
{
    private static readonly Dictionary<string, string> TrackFields = new()
    {
        ["id"] = "messageId",
        ["accountId"] = "context.groupId",
        ["feature"] = "event",
        ["timestamp"] = "timestamp",
        ["userId"] = "userId",
    };

    private sealed record Track(JsonObject Item, string Path, string? UserId, string? AccountId);

    private sealed record ProfileUpdate(string? Name, string? Segment, int? Seats);

    public static async Task<IResult> HandleAsync(
        HttpContext http, string? call, ApiKeyStore keys, SignalIngestor ingestor, IGrainFactory grains,
        IOptions<CsMetricsOptions> options, TimeProvider time, CancellationToken ct)
    {
        if (Authenticate(http, keys) is { } denied)
        {
            return denied;
        }
        if (call is not (null or "track" or "identify" or "group" or "batch" or "import" or "page" or "screen" or "alias"))
        {
            return TypedResults.Problem(title: "Unknown Segment call", detail: $"'{call}' is not a Segment call.", statusCode: 404, type: ProblemType);
        }
        var o = options.Value;
        var body = await RequestBody.ReadAsync(http.Request, o.MaxRequestBodyBytes, ct);
        if (body.TooLarge)
        {
            return TooLarge(o.MaxRequestBodyBytes);
        }
        try
        {
            return await ProcessAsync(body.Bytes, call, ingestor, grains, o, time, ct);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException)
        {
            // Unpaired surrogate escapes, duplicate property names, values of an unexpected kind.
            return BadRequest("$", "could not be read: " + ex.Message);
        }
    }

    private static async Task<IResult> ProcessAsync(
        ReadOnlyMemory<byte> bytes, string? call, SignalIngestor ingestor, IGrainFactory grains,
        CsMetricsOptions o, TimeProvider time, CancellationToken ct)
    {
        var root = ParseBody(bytes, out var parseProblem);
        if (parseProblem is not null)
        {
            return parseProblem;
        }
        if (root is not JsonObject rootObject)
        {
            return BadRequest("$", "the body must be a JSON object");
        }

        var items = new List<(JsonObject Item, string Path, string Type)>();
        if (call is "batch" or "import" || (call is null && rootObject.ContainsKey("batch")))
        {
            if (rootObject["batch"] is not JsonArray batch)
            {
                return BadRequest("batch", "is required: {\"batch\": [ ... ]}");
            }
            if (batch.Count > o.MaxBatchSignals)
            {
                return Problem(413, "Too many calls", [("batch", $"{batch.Count} calls in one request; the limit is {o.MaxBatchSignals}")]);
            }
            for (int i = 0; i < batch.Count; i++)
            {
                if (batch[i] is not JsonObject item)
                {
                    return BadRequest($"batch[{i}]", "must be a JSON object");
                }
                if (Text(item["type"]) is not { } type)
                {
                    return BadRequest($"batch[{i}].type", "is required (track, identify, group, page, screen or alias)");
                }
                items.Add((item, $"batch[{i}]", type));
            }
        }
        else
        {
            string? type = Text(rootObject["type"]) ?? call;
            if (type is null)
            {
                return BadRequest("type", "is required (track, identify or group), or send {\"batch\": [ ... ]}");
            }
            items.Add((rootObject, "$", type));
        }

        // One pass in order: a group or identify earlier in a batch attributes later tracks.
        var links = new Dictionary<string, string>(StringComparer.Ordinal);
        var profiles = new Dictionary<string, ProfileUpdate>(StringComparer.Ordinal);
        var tracks = new List<Track>();
        foreach (var (item, path, type) in items)
        {
            string Field(string f) => path == "$" ? f : $"{path}.{f}";
            string? userId = FirstText(item["userId"]);
            switch (type)
            {
                case "identify":
                {
                    var traits = item["traits"] as JsonObject;
                    string? groupId = FirstText(traits?["groupId"], (traits?["company"] as JsonObject)?["id"], (item["context"] as JsonObject)?["groupId"]);
                    if (groupId is not null && userId is not null)
                    {
                        if (CheckId(groupId) is { } error)
                        {
                            return BadRequest(Field("traits.groupId"), error);
                        }
                        links[userId] = groupId;
                    }
                    break;
                }
                case "group":
                {
                    string? groupId = FirstText(item["groupId"]);
                    if (groupId is null)
                    {
                        return BadRequest(Field("groupId"), "is required (it is the account id)");
                    }
                    if (CheckId(groupId) is { } error)
                    {
                        return BadRequest(Field("groupId"), error);
                    }
                    if (userId is not null)
                    {
                        links[userId] = groupId;
                    }
                    if (item["traits"] is JsonObject traits)
                    {
                        var (update, traitError) = ReadTraits(traits, Field);
                        if (traitError is not null)
                        {
                            return traitError;
                        }
                        if (update is not null)
                        {
                            profiles.TryGetValue(groupId, out var earlier);
                            profiles[groupId] = new ProfileUpdate(update.Name ?? earlier?.Name, update.Segment ?? earlier?.Segment, update.Seats ?? earlier?.Seats);
                        }
                    }
                    break;
                }
                case "track":
                {
                    var context = item["context"] as JsonObject;
                    string? accountId = FirstText(context?["groupId"], (item["properties"] as JsonObject)?["groupId"], (context?["traits"] as JsonObject)?["groupId"]);
                    if (accountId is null && userId is not null && links.TryGetValue(userId, out var linked))
                    {
                        accountId = linked;
                    }
                    tracks.Add(new Track(item, path, userId, accountId));
                    break;
                }
                case "page" or "screen" or "alias":
                    // Accepted (Segment sources send them) but not signals: ignored.
                    break;
                default:
                    return BadRequest(Field("type"), $"unknown Segment call '{(type.Length > 32 ? type[..32] : type)}'; expected track, identify, group, page, screen or alias");
            }
        }

        // Tracks not attributed in the call itself: the remembered user→account links.
        var lookups = tracks.Where(t => t.AccountId is null && t.UserId is not null).Select(t => t.UserId!).Distinct().ToList();
        var remembered = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var chunk in lookups.Chunk(64))
        {
            var found = await Task.WhenAll(chunk.Select(u => grains.GetGrain<ISegmentIdentityGrain>(u).GetAccount()));
            for (int i = 0; i < chunk.Length; i++)
            {
                remembered[chunk[i]] = found[i];
            }
        }

        var pending = new List<PendingSignal>(tracks.Count);
        foreach (var t in tracks)
        {
            string? accountId = t.AccountId ?? (t.UserId is not null && remembered.TryGetValue(t.UserId, out var a) ? a : null);
            if (accountId is null)
            {
                string where = t.Path == "$" ? "context.groupId" : $"{t.Path}.context.groupId";
                return BadRequest(where, "is missing and the user is not linked to an account by a group or identify call; the track cannot be attributed");
            }
            var item = t.Item;
            string? ts = FirstText(item["timestamp"], item["originalTimestamp"], item["sentAt"]);
            var core = new JsonObject
            {
                ["id"] = FirstText(item["messageId"]) ?? DerivedId("segment-", item),
                ["accountId"] = accountId,
                ["type"] = "usage",
                ["timestamp"] = ts is null ? Now(time) : NormalizeTimestamp(ts),
                ["feature"] = item["event"]?.DeepClone(),
            };
            if (item["event"] is null)
            {
                return BadRequest(t.Path == "$" ? "event" : $"{t.Path}.event", "is required for a track call");
            }
            if (t.UserId is not null || FirstText(item["anonymousId"]) is not null)
            {
                core["userId"] = t.UserId ?? FirstText(item["anonymousId"]);
            }
            pending.Add(new PendingSignal(core, t.Path, TrackFields));
        }

        var signals = Validate(pending, o.MaxBatchSignals, time.GetUtcNow(), out var problem);
        if (problem is not null)
        {
            return problem;
        }

        // Links and profiles first (persisted when these return), then the signals (durable log).
        foreach (var chunk in links.Chunk(64))
        {
            await Task.WhenAll(chunk.Select(l => grains.GetGrain<ISegmentIdentityGrain>(l.Key).Link(l.Value)));
        }
        foreach (var (accountId, update) in profiles)
        {
            var grain = grains.GetGrain<IAccountGrain>(accountId);
            var view = await grain.GetView();
            await grain.Register(new AccountProfile(
                update.Name ?? view?.Name, view?.Owner, update.Segment ?? view?.Segment, update.Seats ?? view?.Seats ?? 0, view?.RenewalDate));
        }
        if (signals.Count > 0)
        {
            await ingestor.IngestAsync(signals, ct);
        }
        return TypedResults.Ok(new { success = true });
    }

    private static (ProfileUpdate? Update, IResult? Error) ReadTraits(JsonObject traits, Func<string, string> field)
    {
        string? name = null, segment = null;
        int? seats = null;
        foreach (var (key, target) in new[] { ("name", 0), ("plan", 1), ("segment", 1) })
        {
            var node = traits[key];
            if (node is null)
            {
                continue;
            }
            string? text = node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
            if (text is null || string.IsNullOrWhiteSpace(text) || text.Length > 200 || text.Any(char.IsControl))
            {
                return (null, BadRequest(field($"traits.{key}"), "must be a non-empty string of at most 200 characters without control characters"));
            }
            if (target == 0)
            {
                name = text;
            }
            else
            {
                segment ??= text;
            }
        }
        foreach (var key in new[] { "seats", "employees" })
        {
            var node = traits[key];
            if (node is null || seats is not null)
            {
                continue;
            }
            if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number || !v.TryGetValue(out int n) || n is < 0 or > 10_000_000)
            {
                return (null, BadRequest(field($"traits.{key}"), "must be a whole number within 0–10000000"));
            }
            seats = n;
        }
        return name is null && segment is null && seats is null ? (null, null) : (new ProfileUpdate(name, segment, seats), null);
    }

    /// <summary>Segment's way: the write key is the Basic username (password empty); Bearer/X-Api-Key also work.</summary>
    private static IResult? Authenticate(HttpContext http, ApiKeyStore keys)
    {
        string? key = null;
        string? auth = http.Request.Headers.Authorization;
        if (auth is not null && auth.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                string decoded = Encoding.UTF8.GetString(Convert.FromBase64String(auth["Basic ".Length..].Trim()));
                int colon = decoded.IndexOf(':');
                key = colon < 0 ? decoded : decoded[..colon];
            }
            catch (FormatException)
            {
                key = null;
            }
        }
        else
        {
            key = ApiKeyAuthenticationHandler.PresentedKey(http.Request);
        }
        var info = string.IsNullOrEmpty(key) ? null : keys.Find(key);
        if (info is null)
        {
            http.Response.Headers.WWWAuthenticate = "Basic realm=\"CsMetrics\"";
            return TypedResults.Problem(title: "Write key required",
                detail: "Send an ingest API key as the HTTP Basic username (Segment's write key) with an empty password.",
                statusCode: 401, type: ProblemType);
        }
        if ((info.Scopes & (ApiScope.Ingest | ApiScope.Admin)) == 0)
        {
            return TypedResults.Problem(title: "Insufficient scope", detail: "The write key needs the ingest (or admin) scope.", statusCode: 403, type: ProblemType);
        }
        return null;
    }
}
