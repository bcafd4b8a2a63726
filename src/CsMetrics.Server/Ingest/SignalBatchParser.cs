using System.Globalization;
using System.Text.Json;
using CsMetrics.Scoring.Signals;

namespace CsMetrics.Server.Ingest;

/// <summary>One problem with one signal of a batch: which signal (index), which field, what is wrong.</summary>
public sealed record SignalError(int? Index, string Field, string Message);

public sealed class SignalBatchParseResult
{
    public List<Signal> Signals { get; } = [];
    public List<SignalError> Errors { get; } = [];
    public bool TooMany { get; set; }
}

/// <summary>
/// Reads <c>{"signals":[…]}</c> and validates every signal against the v1 contract
/// (docs/signals.md). The whole batch is rejected if any signal is bad — nothing is applied —
/// so a producer can fix and resend the batch without worrying about half of it having landed.
/// </summary>
public static class SignalBatchParser
{
    private const int MaxErrorsReported = 50;

    public static SignalBatchParseResult Parse(ReadOnlySpan<byte> utf8Json, int maxSignals, DateTimeOffset now)
    {
        try
        {
            return ParseCore(utf8Json, maxSignals, now);
        }
        catch (InvalidOperationException)
        {
            // TryGetProperty throws when a property name is an escaped unpaired surrogate
            // ("\uD800"): not text, so no field of the contract; the producer's error, not a 500.
            var failed = new SignalBatchParseResult();
            failed.Errors.Add(new SignalError(null, "$", "a property name is not valid text (an unpaired \\u surrogate escape)"));
            return failed;
        }
    }

    private static SignalBatchParseResult ParseCore(ReadOnlySpan<byte> utf8Json, int maxSignals, DateTimeOffset now)
    {
        var result = new SignalBatchParseResult();
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(utf8Json.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            result.Errors.Add(new SignalError(null, "$", "malformed JSON: " + ex.Message));
            return result;
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("signals", out var signals) || signals.ValueKind != JsonValueKind.Array)
            {
                result.Errors.Add(new SignalError(null, "signals", "the body must be {\"signals\": [ ... ]}"));
                return result;
            }
            int count = signals.GetArrayLength();
            if (count > maxSignals)
            {
                result.TooMany = true;
                result.Errors.Add(new SignalError(null, "signals", $"{count} signals in one request; the limit is {maxSignals}"));
                return result;
            }
            if (count == 0)
            {
                result.Errors.Add(new SignalError(null, "signals", "the batch is empty"));
                return result;
            }

            int index = 0;
            foreach (var element in signals.EnumerateArray())
            {
                var signal = ParseOne(element, index, now, result.Errors);
                if (signal is not null)
                {
                    result.Signals.Add(signal);
                }
                if (result.Errors.Count >= MaxErrorsReported)
                {
                    break;
                }
                index++;
            }
        }
        if (result.Errors.Count > 0)
        {
            result.Signals.Clear();
        }
        return result;
    }

    public static Signal? ParseOne(JsonElement e, int index, DateTimeOffset now, List<SignalError> errors)
    {
        int before = errors.Count;
        void Error(string field, string message) => errors.Add(new SignalError(index, field, message));

        if (e.ValueKind != JsonValueKind.Object)
        {
            Error("$", "each signal must be a JSON object");
            return null;
        }

        string? id = RequiredString(e, "id", SignalLimits.MaxIdLength, Error);
        string? accountId = RequiredString(e, "accountId", SignalLimits.MaxIdLength, Error);
        string? typeText = RequiredString(e, "type", 32, Error);
        SignalType type = default;
        if (typeText is not null && !SignalNames.TryParseType(typeText, out type))
        {
            Error("type", $"unknown type '{Truncate(typeText)}'; expected usage, ticket, survey, revenue, touchpoint or selfservice");
            typeText = null;
        }

        DateTimeOffset timestamp = default;
        string? ts = RequiredString(e, "timestamp", 64, Error);
        if (ts is not null)
        {
            if (!LooksIso8601(ts) || !DateTimeOffset.TryParse(ts, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out timestamp))
            {
                Error("timestamp", "must be an ISO 8601 date-time, e.g. 2026-11-26T10:00:00Z");
            }
            else if (timestamp > now + SignalLimits.MaxFutureSkew)
            {
                Error("timestamp", "is more than a day in the future");
            }
            else if (timestamp.Year < 1970)
            {
                Error("timestamp", "is before 1970");
            }
        }

        if (typeText is null || errors.Count > before)
        {
            // Without a valid envelope the type-specific checks would only add noise.
            if (typeText is not null)
            {
                CheckTypeFields(e, type, Error, out _);
            }
            return null;
        }

        var signal = CheckTypeFields(e, type, Error, out var build);
        if (errors.Count > before || build is null)
        {
            return null;
        }
        return build(id!, accountId!, timestamp);
    }

    private static Signal? CheckTypeFields(JsonElement e, SignalType type, Action<string, string> error, out Func<string, string, DateTimeOffset, Signal>? build)
    {
        build = null;
        switch (type)
        {
            case SignalType.Usage:
            {
                string? user = OptionalString(e, "userId", SignalLimits.MaxIdLength, error);
                string? feature = OptionalString(e, "feature", SignalLimits.MaxNameLength, error);
                int count = OptionalInt(e, "count", 1, 1, SignalLimits.MaxUsageCount, error) ?? 1;
                build = (id, acc, ts) => new Signal { Id = id, AccountId = acc, Type = type, Timestamp = ts, UserId = user, Feature = feature, Count = count };
                break;
            }
            case SignalType.Ticket:
            {
                string? ticketId = RequiredString(e, "ticketId", SignalLimits.MaxIdLength, error);
                string? statusText = RequiredString(e, "status", 32, error);
                TicketStatus status = default;
                if (statusText is not null && !SignalNames.TryParseStatus(statusText, out status))
                {
                    error("status", "must be one of opened, first_response, solved, reopened, closed");
                }
                TicketPriority priority = TicketPriority.Normal;
                string? priorityText = OptionalString(e, "priority", 32, error);
                if (priorityText is not null && !SignalNames.TryParsePriority(priorityText, out priority))
                {
                    error("priority", "must be one of low, normal, high, urgent");
                }
                string[]? tags = null;
                if (e.TryGetProperty("tags", out var t) && t.ValueKind != JsonValueKind.Null)
                {
                    if (t.ValueKind != JsonValueKind.Array)
                    {
                        error("tags", "must be an array of strings");
                    }
                    else if (t.GetArrayLength() > SignalLimits.MaxTags)
                    {
                        error("tags", $"at most {SignalLimits.MaxTags} tags");
                    }
                    else
                    {
                        tags = new string[t.GetArrayLength()];
                        int i = 0;
                        foreach (var tag in t.EnumerateArray())
                        {
                            if (tag.ValueKind != JsonValueKind.String || !TryGetText(tag, out string text) || text.Length == 0 || text.Length > SignalLimits.MaxTagLength)
                            {
                                error($"tags[{i}]", $"must be a non-empty string of at most {SignalLimits.MaxTagLength} characters");
                            }
                            else
                            {
                                tags[i] = text;
                            }
                            i++;
                        }
                    }
                }
                int? replies = OptionalInt(e, "agentReplies", null, 0, 100_000, error);
                build = (id, acc, ts) => new Signal
                {
                    Id = id, AccountId = acc, Type = type, Timestamp = ts,
                    TicketId = ticketId, TicketStatus = status, Priority = priority, Tags = tags, AgentReplies = replies,
                };
                break;
            }
            case SignalType.Survey:
            {
                string? kindText = RequiredString(e, "kind", 16, error);
                SurveyKind kind = default;
                bool kindOk = kindText is not null && SignalNames.TryParseSurveyKind(kindText, out kind);
                if (kindText is not null && !kindOk)
                {
                    error("kind", "must be one of nps, csat, ces");
                }
                var (min, max) = kind switch { SurveyKind.Nps => (0, 10), SurveyKind.Csat => (1, 5), _ => (1, 7) };
                int? score = null;
                if (!e.TryGetProperty("score", out var s) || s.ValueKind == JsonValueKind.Null)
                {
                    error("score", "is required");
                }
                else if (s.ValueKind != JsonValueKind.Number || !s.TryGetInt32(out int sv))
                {
                    error("score", "must be a whole number");
                }
                else if (kindOk && (sv < min || sv > max))
                {
                    error("score", $"must be within {min}–{max} for {kindText}");
                }
                else
                {
                    score = sv;
                }
                string? respondent = OptionalString(e, "respondentId", SignalLimits.MaxIdLength, error);
                string? comment = OptionalString(e, "comment", SignalLimits.MaxCommentLength, error);
                build = (id, acc, ts) => new Signal
                {
                    Id = id, AccountId = acc, Type = type, Timestamp = ts,
                    SurveyKind = kind, SurveyScore = score ?? 0, RespondentId = respondent, Comment = comment,
                };
                break;
            }
            case SignalType.Revenue:
            {
                decimal mrr = 0;
                if (!e.TryGetProperty("mrr", out var m) || m.ValueKind == JsonValueKind.Null)
                {
                    error("mrr", "is required");
                }
                else if (m.ValueKind != JsonValueKind.Number || !m.TryGetDecimal(out mrr))
                {
                    error("mrr", "must be a number");
                }
                else if (mrr < 0 || mrr > SignalLimits.MaxMrr)
                {
                    error("mrr", $"must be within 0–{SignalLimits.MaxMrr}");
                }
                build = (id, acc, ts) => new Signal { Id = id, AccountId = acc, Type = type, Timestamp = ts, Mrr = mrr };
                break;
            }
            case SignalType.Touchpoint:
            {
                string? kindText = RequiredString(e, "kind", 16, error);
                TouchpointKind kind = default;
                if (kindText is not null && !SignalNames.TryParseTouchpointKind(kindText, out kind))
                {
                    error("kind", "must be one of meeting, call, email, qbr, training, onboarding");
                }
                string? by = RequiredString(e, "by", SignalLimits.MaxNameLength, error);
                string? note = OptionalString(e, "note", SignalLimits.MaxCommentLength, error);
                build = (id, acc, ts) => new Signal { Id = id, AccountId = acc, Type = type, Timestamp = ts, TouchpointKind = kind, By = by, Note = note };
                break;
            }
            case SignalType.SelfService:
            {
                string? user = RequiredString(e, "userId", SignalLimits.MaxIdLength, error);
                string? article = RequiredString(e, "articleId", SignalLimits.MaxIdLength, error);
                string? actionText = RequiredString(e, "action", 16, error);
                SelfServiceAction action = default;
                if (actionText is not null && !SignalNames.TryParseSelfServiceAction(actionText, out action))
                {
                    error("action", "must be one of view, helpful, not_helpful");
                }
                build = (id, acc, ts) => new Signal { Id = id, AccountId = acc, Type = type, Timestamp = ts, UserId = user, ArticleId = article, SelfServiceAction = action };
                break;
            }
        }
        return null;
    }

    private static string? RequiredString(JsonElement e, string name, int maxLength, Action<string, string> error)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            error(name, "is required");
            return null;
        }
        return CheckString(v, name, maxLength, error);
    }

    private static string? OptionalString(JsonElement e, string name, int maxLength, Action<string, string> error)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return CheckString(v, name, maxLength, error);
    }

    private static string? CheckString(JsonElement v, string name, int maxLength, Action<string, string> error)
    {
        if (v.ValueKind != JsonValueKind.String)
        {
            error(name, "must be a string");
            return null;
        }
        if (!TryGetText(v, out string s))
        {
            error(name, "must be valid UTF-8 text");
            return null;
        }
        if (s.Length == 0 || string.IsNullOrWhiteSpace(s))
        {
            error(name, "must not be empty");
            return null;
        }
        if (s.Length > maxLength)
        {
            error(name, $"must be at most {maxLength} characters");
            return null;
        }
        foreach (char c in s)
        {
            if (char.IsControl(c) && name is not ("comment" or "note"))
            {
                error(name, "must not contain control characters");
                return null;
            }
        }
        return s;
    }

    /// <summary>
    /// A JSON string's text. JsonDocument does not check that a string's bytes are valid UTF-8,
    /// nor that a \u escape is not half a surrogate pair; GetString throws on those, which would
    /// turn a producer's bad bytes into a 500. False for such a string.
    /// </summary>
    private static bool TryGetText(JsonElement v, out string text)
    {
        try
        {
            text = v.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            text = "";
            return false;
        }
    }

    private static int? OptionalInt(JsonElement e, string name, int? fallback, int min, int max, Action<string, string> error)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return fallback;
        }
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int i))
        {
            error(name, "must be a whole number");
            return fallback;
        }
        if (i < min || i > max)
        {
            error(name, $"must be within {min}–{max}");
            return fallback;
        }
        return i;
    }

    /// <summary>Rejects the many non-ISO forms DateTimeOffset.TryParse would accept ("11/26/2026", "Thursday").</summary>
    private static bool LooksIso8601(string s) =>
        s.Length >= 10 && char.IsAsciiDigit(s[0]) && char.IsAsciiDigit(s[1]) && char.IsAsciiDigit(s[2]) && char.IsAsciiDigit(s[3])
        && s[4] == '-' && s[7] == '-' && (s.Length == 10 || s[10] == 'T' || s[10] == 't' || s[10] == ' ');

    private static string Truncate(string s) => s.Length <= 32 ? s : s[..32] + "…";
}
