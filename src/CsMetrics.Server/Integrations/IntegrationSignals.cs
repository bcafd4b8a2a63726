using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CsMetrics.Scoring.Signals;
using CsMetrics.Server.Ingest;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace CsMetrics.Server.Integrations;

/// <summary>
/// A signal in the core v1 shape (docs/signals.md), built from a third-party payload, with where
/// it came from: <see cref="Path"/> (e.g. <c>batch[2]</c>) and which source field each core
/// field was read from, so a validation error names the field the sender actually sent.
/// </summary>
public sealed record PendingSignal(JsonObject Core, string Path, IReadOnlyDictionary<string, string>? SourceFields = null);

/// <summary>Shared plumbing of the integration endpoints: reading, core validation, problems.</summary>
public static partial class IntegrationSignals
{
    public const string ProblemType = "https://github.com/csmetrics/csmetrics/blob/main/docs/integrations.md#errors";

    /// <summary>
    /// Validates the signals exactly as <c>POST /api/v1/signals</c> does (SignalBatchParser over
    /// the core JSON shape): the whole call is rejected if any is bad.
    /// </summary>
    public static List<Signal> Validate(IReadOnlyList<PendingSignal> pending, int maxSignals, DateTimeOffset now, out ProblemHttpResult? problem)
    {
        problem = null;
        if (pending.Count == 0)
        {
            return [];
        }
        var array = new JsonArray();
        foreach (var p in pending)
        {
            array.Add(p.Core.DeepClone());
        }
        byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["signals"] = array });
        var parsed = SignalBatchParser.Parse(bytes, maxSignals, now);
        if (parsed.Errors.Count == 0)
        {
            return parsed.Signals;
        }
        var errors = parsed.Errors.Select(e =>
        {
            string field;
            if (e.Index is { } i && i < pending.Count)
            {
                var p = pending[i];
                string source = p.SourceFields is not null && p.SourceFields.TryGetValue(e.Field, out var f) ? f : e.Field;
                field = p.Path == "$" ? source : $"{p.Path}.{source}";
            }
            else
            {
                field = e.Field;
            }
            return (Field: field, e.Message);
        }).ToList();
        problem = Problem(parsed.TooMany ? 413 : 400, parsed.TooMany ? "Too many signals" : "Invalid payload", errors);
        return [];
    }

    public static ProblemHttpResult Problem(int status, string title, IReadOnlyList<(string Field, string Message)> errors)
    {
        var first = errors[0];
        var problem = new ProblemDetails
        {
            Status = status,
            Title = title,
            Detail = $"{first.Field} {first.Message}. Nothing was applied.",
            Type = ProblemType,
        };
        problem.Extensions["errors"] = errors.Select(e => new { field = e.Field, message = e.Message }).ToArray();
        return TypedResults.Problem(problem);
    }

    public static ProblemHttpResult BadRequest(string field, string message) => Problem(400, "Invalid payload", [(field, message)]);

    public static ProblemHttpResult TooLarge(long limit) =>
        TypedResults.Problem(title: "Request body too large", detail: $"The body exceeds {limit} bytes; split it.", statusCode: 413, type: ProblemType);

    /// <summary>Parses a body; null (with the problem) when it is not JSON.</summary>
    public static JsonNode? ParseBody(ReadOnlyMemory<byte> body, out ProblemHttpResult? problem)
    {
        problem = null;
        try
        {
            var node = JsonNode.Parse(body.Span, documentOptions: new JsonDocumentOptions { MaxDepth = 32 });
            if (node is null)
            {
                problem = BadRequest("$", "the body must be a JSON object");
            }
            return node;
        }
        catch (JsonException ex)
        {
            problem = BadRequest("$", "malformed JSON: " + ex.Message);
            return null;
        }
    }

    /// <summary>A string value, or a number's text (ids are often numbers); null otherwise.</summary>
    public static string? Text(JsonNode? node)
    {
        if (node is not JsonValue v)
        {
            return null;
        }
        return v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.Number => v.ToJsonString(),
            _ => null,
        };
    }

    /// <summary>The first of the non-empty texts.</summary>
    public static string? FirstText(params JsonNode?[] nodes)
    {
        foreach (var n in nodes)
        {
            if (Text(n) is { Length: > 0 } s && !string.IsNullOrWhiteSpace(s))
            {
                return s;
            }
        }
        return null;
    }

    /// <summary>Null when <paramref name="id"/> is a usable id, else what is wrong with it.</summary>
    public static string? CheckId(string id)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            return "must not be empty";
        }
        if (id.Length > SignalLimits.MaxIdLength)
        {
            return $"must be at most {SignalLimits.MaxIdLength} characters";
        }
        return id.Any(char.IsControl) ? "must not contain control characters" : null;
    }

    /// <summary>A deterministic id for a payload without one: the same payload, retried, gets the same id.</summary>
    public static string DerivedId(string prefix, JsonNode payload) =>
        prefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(payload.ToJsonString())))[..32];

    /// <summary>
    /// Normalizes a third-party timestamp to what the core contract reads: more than seven
    /// fractional digits (Zendesk sends nanoseconds) are cut to seven.
    /// </summary>
    public static string NormalizeTimestamp(string ts) => ExtraFraction().Replace(ts, "$1", 1);

    public static string Now(TimeProvider time) => time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"(\.\d{7})\d+")]
    private static partial Regex ExtraFraction();
}
