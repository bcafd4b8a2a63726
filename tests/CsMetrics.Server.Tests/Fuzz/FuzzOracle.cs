using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsMetrics.Contracts.Playbooks;
using CsMetrics.Contracts.Watchlists;
using CsMetrics.Scoring.Scorecards;
using CsMetrics.Scoring.Signals;
using CsMetrics.Server.Hosting;
using CsMetrics.Server.Ingest;
using CsMetrics.Server.Live;
using Microsoft.AspNetCore.Http;

namespace CsMetrics.Server.Tests.Fuzz;

public enum FuzzEndpoint
{
    Signals,
    PutAccount,
    PutOverride,
    DeleteOverride,
    PutWatchlist,
    DeleteWatchlist,
    PutScorecard,
    PreviewScorecard,
    PostKey,
    DeleteKey,
    Segment,
    SegmentBatch,
    SegmentV1,
    Zendesk,
    IntegrationTickets,
    IntegrationSurveys,
    PutPlaybook,
    DeletePlaybook,
}

/// <summary>Which write endpoint (and which id) the server's router would pick for a request.</summary>
public static class FuzzRoutes
{
    public const string Signals = "/api/v1/signals";
    public const string Scorecard = "/api/v1/scorecard";
    public const string Preview = "/api/v1/scorecard/preview";
    public const string Keys = "/api/v1/keys";
    public const string Segment = "/api/v1/integrations/segment";
    public const string SegmentBatch = "/api/v1/integrations/segment/batch";
    public const string Zendesk = "/api/v1/integrations/zendesk";
    public const string Tickets = "/api/v1/integrations/tickets";
    public const string Surveys = "/api/v1/integrations/surveys";

    public static string SegmentV1(string escapedCall) => $"/api/v1/integrations/segment/v1/{escapedCall}";

    public static string Account(string escapedId) => $"/api/v1/accounts/{escapedId}";

    public static string Override(string escapedId) => $"/api/v1/accounts/{escapedId}/override";

    public static string Watchlist(string escapedId) => $"/api/v1/watchlists/{escapedId}";

    public static string Key(string escapedId) => $"/api/v1/keys/{escapedId}";

    public static string Playbook(string escapedId) => $"/api/v1/playbooks/{escapedId}";

    /// <summary>
    /// The endpoint and route id the server would see. Decodes the path the way TestServer and
    /// routing do (PathString), and matches liberally (case-insensitive literals, empty segments
    /// and trailing slashes ignored), so when in doubt a request counts as reaching an endpoint.
    /// </summary>
    public static (FuzzEndpoint? Endpoint, string? Id) Resolve(HttpMethod method, Uri absolute)
    {
        string path = PathString.FromUriComponent(absolute).Value ?? "";
        var s = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        bool Lit(int i, string text) => i < s.Length && string.Equals(s[i], text, StringComparison.OrdinalIgnoreCase);
        if (!Lit(0, "api") || !Lit(1, "v1"))
        {
            return (null, null);
        }
        string m = method.Method;
        if (s.Length == 3 && Lit(2, "signals") && m == "POST")
        {
            return (FuzzEndpoint.Signals, null);
        }
        if (s.Length == 3 && Lit(2, "scorecard") && m == "PUT")
        {
            return (FuzzEndpoint.PutScorecard, null);
        }
        if (s.Length == 4 && Lit(2, "scorecard") && Lit(3, "preview") && m == "POST")
        {
            return (FuzzEndpoint.PreviewScorecard, null);
        }
        if (s.Length == 4 && Lit(2, "accounts") && m == "PUT")
        {
            return (FuzzEndpoint.PutAccount, AccountsApi.FromRoute(s[3]));
        }
        if (s.Length == 5 && Lit(2, "accounts") && Lit(4, "override") && m is "PUT" or "DELETE")
        {
            return (m == "PUT" ? FuzzEndpoint.PutOverride : FuzzEndpoint.DeleteOverride, AccountsApi.FromRoute(s[3]));
        }
        if (s.Length == 4 && Lit(2, "watchlists") && m is "PUT" or "DELETE")
        {
            return (m == "PUT" ? FuzzEndpoint.PutWatchlist : FuzzEndpoint.DeleteWatchlist, s[3]);
        }
        if (s.Length == 4 && Lit(2, "playbooks") && m is "PUT" or "DELETE")
        {
            return (m == "PUT" ? FuzzEndpoint.PutPlaybook : FuzzEndpoint.DeletePlaybook, s[3]);
        }
        if (s.Length == 3 && Lit(2, "keys") && m == "POST")
        {
            return (FuzzEndpoint.PostKey, null);
        }
        if (s.Length == 4 && Lit(2, "keys") && m == "DELETE")
        {
            return (FuzzEndpoint.DeleteKey, s[3]);
        }
        if (s.Length >= 4 && Lit(2, "integrations") && m == "POST")
        {
            if (s.Length == 4)
            {
                return Lit(3, "segment") ? (FuzzEndpoint.Segment, null)
                    : Lit(3, "zendesk") ? (FuzzEndpoint.Zendesk, null)
                    : Lit(3, "tickets") ? (FuzzEndpoint.IntegrationTickets, null)
                    : Lit(3, "surveys") ? (FuzzEndpoint.IntegrationSurveys, null)
                    : (null, null);
            }
            if (s.Length == 5 && Lit(3, "segment") && Lit(4, "batch"))
            {
                return (FuzzEndpoint.SegmentBatch, null);
            }
            if (s.Length == 6 && Lit(3, "segment") && Lit(4, "v1"))
            {
                return (FuzzEndpoint.SegmentV1, s[5]);
            }
        }
        return (null, null);
    }
}

/// <summary>
/// Decides, before a request is sent, whether the server is certain to refuse it. It uses the
/// server's own parsers where they are public (the signal batch parser, the scorecard parser),
/// the server's JSON options for bound bodies, and the documented validation rules; it answers
/// "rejected" only when sure, so a request it is unsure of is never aimed at a known account.
/// </summary>
public sealed class FuzzOracle(JsonSerializerOptions serverJson, long maxSignalBodyBytes, int maxBatchSignals)
{
    /// <summary>Slack for the server's clock running after the oracle's.</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromMinutes(10);

    /// <summary>True if the batch is refused for sure; otherwise the account ids it would touch.</summary>
    public bool SignalsRejected(byte[] body, DateTimeOffset now, out IReadOnlyList<string> accountIds)
    {
        accountIds = [];
        if (body.LongLength > maxSignalBodyBytes)
        {
            return true;
        }
        SignalBatchParseResult parsed;
        try
        {
            // A later clock accepts more (the only time check is "not too far in the future").
            parsed = SignalBatchParser.Parse(body, maxBatchSignals, now + Slack);
        }
        catch (Exception)
        {
            // The server's parser throws too: a 5xx the fuzz reports; nothing is applied.
            return true;
        }
        if (parsed.Errors.Count > 0)
        {
            return true;
        }
        accountIds = parsed.Signals.Select(s => s.AccountId).Distinct(StringComparer.Ordinal).ToArray();
        return false;
    }

    private static readonly JsonDocumentOptions IntegrationJson = new() { MaxDepth = 32 };

    /// <summary>
    /// True if an integration endpoint refuses the body for sure, whatever the credentials: over
    /// the size limit, or not JSON the way the integrations parse it (JsonNode, depth 32); for
    /// the endpoints that take only an object, not an object.
    /// </summary>
    public bool IntegrationBodyRejected(byte[]? body, bool objectOnly)
    {
        body ??= [];
        if (body.LongLength > maxSignalBodyBytes)
        {
            return true;
        }
        try
        {
            var node = JsonNode.Parse(body, documentOptions: IntegrationJson);
            return node is null || (objectOnly && node is not JsonObject);
        }
        catch (JsonException)
        {
            return true;
        }
        catch (Exception)
        {
            return false;
        }
    }

    /// <summary>
    /// Whether the body might name a known account in any string, after JSON unescaping (ids
    /// are strings; a number can't be "kn-acct-…"). Unsure (unreadable as a tree) counts as yes.
    /// </summary>
    public static bool MayNameKnown(byte[]? body, string knownPrefix)
    {
        if (body is null || body.Length == 0)
        {
            return false;
        }
        try
        {
            var node = JsonNode.Parse(body, documentOptions: IntegrationJson);
            return Names(node, knownPrefix);
        }
        catch (JsonException)
        {
            return false; // refused by the parser: nothing is applied
        }
        catch (Exception)
        {
            return true;
        }

        static bool Names(JsonNode? n, string prefix)
        {
            switch (n)
            {
                case JsonObject o:
                    foreach (var (k, v) in o)
                    {
                        if (k.Contains(prefix, StringComparison.OrdinalIgnoreCase) || Names(v, prefix))
                        {
                            return true;
                        }
                    }
                    return false;
                case JsonArray a:
                    return a.Any(x => Names(x, prefix));
                case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                    return v.GetValue<string>().Contains(prefix, StringComparison.OrdinalIgnoreCase);
                default:
                    return false;
            }
        }
    }

    public static bool ScorecardRejected(byte[] body)
    {
        if (body.Length > ScorecardApi.MaxScorecardBytes)
        {
            return true;
        }
        try
        {
            return !ScorecardParser.TryParse(Encoding.UTF8.GetString(body), 0, out _, out _);
        }
        catch (Exception)
        {
            return true;
        }
    }

    private enum Binding { Rejected, Null, Bound, Unsure }

    /// <summary>What minimal-API body binding would make of the body (JSON content type only; anything else is "unsure").</summary>
    private (Binding Result, T? Value) Bind<T>(string? contentType, byte[]? body) where T : class
    {
        if (contentType is not ("application/json" or "application/json; charset=utf-8"))
        {
            return (Binding.Unsure, null);
        }
        if (body is null || body.Length == 0)
        {
            return (Binding.Null, null);
        }
        try
        {
            var value = JsonSerializer.Deserialize<T>(new MemoryStream(body), serverJson);
            return value is null ? (Binding.Null, null) : (Binding.Bound, value);
        }
        catch (JsonException)
        {
            return (Binding.Rejected, null);
        }
        catch (Exception)
        {
            return (Binding.Unsure, null);
        }
    }

    private static bool BadText(string? value, int max) => value is not null && (value.Length > max || value.Any(char.IsControl));

    public bool AccountRejected(string id, string? contentType, byte[]? body)
    {
        if (!AccountsApi.ValidAccountId(id))
        {
            return true; // 400 from the handler, or 400/415 from binding before it
        }
        var (result, b) = Bind<AccountRegistration>(contentType, body);
        return result switch
        {
            Binding.Rejected or Binding.Null => true,
            Binding.Unsure => false,
            _ => BadText(b!.Name, SignalLimits.MaxNameLength) || BadText(b.Owner, SignalLimits.MaxNameLength)
                || BadText(b.Segment, SignalLimits.MaxNameLength) || b.Seats is < 0 or > 10_000_000,
        };
    }

    public bool OverrideRejected(string? contentType, byte[]? body, DateTimeOffset now)
    {
        var (result, b) = Bind<OverrideBody>(contentType, body);
        if (result != Binding.Bound)
        {
            return result is Binding.Rejected or Binding.Null;
        }
        return (b!.Band is null) == (b.Score is null)
            || (b.Band is not null && !HealthBandNames.TryParse(b.Band, out _))
            || (b.Score is { } s && (!double.IsFinite(s) || s < 0 || s > 100))
            || string.IsNullOrWhiteSpace(b.Reason) || b.Reason.Length > 500 || b.Reason.Any(c => char.IsControl(c) && c != '\n')
            || b.ExpiresAt is not { } e || e <= now || e > now + AccountTimeApi.MaxOverride + Slack;
    }

    public bool WatchlistRejected(string id, string? contentType, byte[]? body)
    {
        if (!WatchlistIds.IsValid(id))
        {
            return true;
        }
        var (result, b) = Bind<WatchlistBody>(contentType, body);
        if (result != Binding.Bound)
        {
            return result is Binding.Rejected or Binding.Null;
        }
        if (string.IsNullOrWhiteSpace(b!.Name) || b.Name.Length > 100 || b.Name.Any(char.IsControl)
            || (b.Sort is not null && !WatchlistRules.Sorts.Contains(b.Sort))
            || b.Limit is < 1 or > WatchlistDefinition.MaxLimit)
        {
            return true;
        }
        if (b.Filter is { } f)
        {
            return (f.Bands is not null && (f.Bands.Length > 3 || f.Bands.Any(x => !HealthBandNames.TryParse(x, out _))))
                || f.MinScore is < 0 or > 100 || f.MaxScore is < 0 or > 100
                || (f.MinScore is { } min && f.MaxScore is { } max && min > max)
                || f.MinDrop7d is < 0 or > 100
                || f.MinDaysSilent is < 1 or > 3660
                || f.RenewalWithinDays is < 0 or > 3660
                || f.Owner is { Length: > 200 } || f.Segment is { Length: > 200 };
        }
        return false;
    }
    /// <summary>
    /// True if <c>PUT /api/v1/playbooks/{id}</c> refuses the body for sure (PlaybooksApi.Validate).
    /// <c>enters_watchlist</c> depends on which watchlists exist at the time, so it never counts as sure.
    /// </summary>
    public bool PlaybookRejected(string id, string? contentType, byte[]? body)
    {
        if (!WatchlistIds.IsValid(id))
        {
            return true;
        }
        var (result, b) = Bind<PlaybookBody>(contentType, body);
        if (result != Binding.Bound)
        {
            return result is Binding.Rejected or Binding.Null;
        }
        if (string.IsNullOrWhiteSpace(b!.Name) || b.Name.Length > 100 || b.Name.Any(char.IsControl)
            || b.CooldownMinutes is < 0 or > PlaybookDefinition.MaxCooldownMinutes)
        {
            return true;
        }
        bool triggerBad = b.Trigger switch
        {
            null => true,
            { Type: PlaybookRules.BandFalls } t => t.To is not ("red" or "yellow") || (t.From is not null && PlaybookRules.Rank(t.From) <= PlaybookRules.Rank(t.To)),
            { Type: PlaybookRules.ScoreDrop } t => t.Points is not { } points || !(points > 0 && points <= 100),
            { Type: PlaybookRules.EntersWatchlist } => false,
            { Type: PlaybookRules.NoUsage } t => t.Days is not (>= 1 and <= 3660),
            { Type: PlaybookRules.NpsDetractor } t => t.Days is not (null or (>= 1 and <= 365)),
            { Type: PlaybookRules.UrgentUnanswered } t => t.Hours is not (>= 1 and <= 720),
            _ => true,
        };
        return triggerBad || b.Action is not { } a || !PlaybookRules.ActionTypes.Contains(a.Type)
            || a.Url is not { Length: <= 2000 } || !Uri.TryCreate(a.Url, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || !string.IsNullOrEmpty(uri.UserInfo);
    }

    /// <summary>
    /// Whether a playbook body that might be accepted could only ever post to the closed loopback
    /// port (http://127.0.0.1:9/…). Read as UTF-8 JSON whatever the content type; unreadable counts as safe
    /// (the server cannot read it either).
    /// </summary>
    public bool PlaybookUrlSafe(byte[]? body)
    {
        if (body is null || body.Length == 0)
        {
            return true;
        }
        PlaybookBody? b;
        try
        {
            b = JsonSerializer.Deserialize<PlaybookBody>(new MemoryStream(body), serverJson);
        }
        catch (JsonException)
        {
            return true;
        }
        catch (Exception)
        {
            return false;
        }
        if (b?.Action?.Url is not { } url || !Uri.TryCreate(url, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            return true;
        }
        return uri.IsLoopback && uri.Port == 9;
    }
}
