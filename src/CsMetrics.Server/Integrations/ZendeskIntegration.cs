using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CsMetrics.Grains.Ingest;
using CsMetrics.Server.Hosting;
using Microsoft.Extensions.Options;
using static CsMetrics.Server.Integrations.IntegrationSignals;

namespace CsMetrics.Server.Integrations;

/// <summary>
/// Zendesk ticket webhooks, verified by Zendesk's signature:
/// <c>base64(HMAC-SHA256(secret, timestamp + body))</c>. Mapping: docs/integrations.md#zendesk.
/// </summary>
public static class ZendeskIntegration
{
    public const string SignatureHeader = "X-Zendesk-Webhook-Signature";
    public const string TimestampHeader = "X-Zendesk-Webhook-Signature-Timestamp";
    private const string EventTypePrefix = "zen:event-type:";

    private static readonly Dictionary<string, string> TicketFields = new()
    {
        ["accountId"] = "ticket.organization_id",
        ["ticketId"] = "ticket.id",
        ["priority"] = "ticket.priority",
        ["tags"] = "ticket.tags",
        ["timestamp"] = "time",
        ["score"] = "ticket.satisfaction.score",
        ["respondentId"] = "ticket.requester_id",
        ["comment"] = "ticket.satisfaction.comment",
        ["id"] = "id",
    };

    public static async Task<IResult> HandleAsync(
        HttpContext http, SignalIngestor ingestor, IOptionsMonitor<IntegrationsOptions> integrations,
        IOptions<CsMetricsOptions> options, TimeProvider time, CancellationToken ct)
    {
        var settings = integrations.CurrentValue;
        if (string.IsNullOrEmpty(settings.ZendeskSecret))
        {
            return TypedResults.Problem(title: "Zendesk integration not configured",
                detail: "Set CSMETRICS_ZENDESK_SECRET (CsMetrics:Integrations:ZendeskSecret) to the webhook's signing secret.",
                statusCode: 503, type: ProblemType);
        }
        var o = options.Value;
        var body = await RequestBody.ReadAsync(http.Request, o.MaxRequestBodyBytes, ct);
        if (body.TooLarge)
        {
            return TooLarge(o.MaxRequestBodyBytes);
        }
        if (Verify(http.Request, body.Bytes.Span, settings, time.GetUtcNow()) is { } reason)
        {
            return TypedResults.Problem(title: "Invalid webhook signature", detail: reason, statusCode: 401, type: ProblemType);
        }
        try
        {
            return await ProcessAsync(body.Bytes, ingestor, o, time, ct);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException)
        {
            return BadRequest("$", "could not be read: " + ex.Message);
        }
    }

    /// <summary>Null when the signature is valid and fresh, else why not.</summary>
    public static string? Verify(HttpRequest request, ReadOnlySpan<byte> body, IntegrationsOptions settings, DateTimeOffset now)
    {
        string? signature = request.Headers[SignatureHeader];
        string? timestamp = request.Headers[TimestampHeader];
        if (string.IsNullOrEmpty(signature) || string.IsNullOrEmpty(timestamp))
        {
            return $"The {SignatureHeader} and {TimestampHeader} headers are required.";
        }
        if (!DateTimeOffset.TryParse(timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return $"{TimestampHeader} is not a date-time.";
        }
        if ((now - at).Duration() > settings.ZendeskMaxSignatureAge)
        {
            return "The signature timestamp is stale (or too far in the future).";
        }
        byte[] tsBytes = Encoding.UTF8.GetBytes(timestamp);
        byte[] message = new byte[tsBytes.Length + body.Length];
        tsBytes.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(tsBytes.Length));
        byte[] expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(settings.ZendeskSecret!), message);
        Span<byte> presented = stackalloc byte[64];
        if (!Convert.TryFromBase64String(signature.Trim(), presented, out int n) || n != expected.Length
            || !CryptographicOperations.FixedTimeEquals(presented[..n], expected))
        {
            return "The signature does not match the body.";
        }
        return null;
    }

    /// <summary>The signature Zendesk sends (used by tests and by anyone replaying a payload).</summary>
    public static string Sign(string secret, string timestamp, string body) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(timestamp + body)));

    private static async Task<IResult> ProcessAsync(ReadOnlyMemory<byte> bytes, SignalIngestor ingestor, CsMetricsOptions o, TimeProvider time, CancellationToken ct)
    {
        var root = ParseBody(bytes, out var parseProblem);
        if (parseProblem is not null)
        {
            return parseProblem;
        }
        if (root is not JsonObject r)
        {
            return BadRequest("$", "the body must be a JSON object");
        }
        string? type = Text(r["type"]);
        if (type is null)
        {
            return BadRequest("type", "is required, e.g. ticket.created");
        }
        if (type.StartsWith(EventTypePrefix, StringComparison.Ordinal))
        {
            type = type[EventTypePrefix.Length..];
        }
        string? eventId = FirstText(r["id"]);
        if (eventId is null)
        {
            return BadRequest("id", "is required (the webhook event id)");
        }
        if (CheckId(eventId) is { } idError)
        {
            return BadRequest("id", idError);
        }
        if ((r["ticket"] ?? r["detail"]) is not JsonObject ticket)
        {
            return BadRequest("ticket", "is required (an object)");
        }
        string? ticketId = FirstText(ticket["id"]);
        if (ticketId is null)
        {
            return BadRequest("ticket.id", "is required");
        }
        string? accountId = FirstText(ticket["organization_external_id"], ticket["organization_id"]);
        if (accountId is null)
        {
            return BadRequest("ticket.organization_id", "is required (or ticket.organization_external_id): it is the account id");
        }
        string? time0 = FirstText(r["time"]);
        string timestamp = time0 is null ? Now(time) : NormalizeTimestamp(time0);

        JsonObject core;
        if (type == "ticket.satisfaction_rated")
        {
            var satisfaction = ticket["satisfaction"] as JsonObject ?? ticket["satisfaction_rating"] as JsonObject;
            int? score = Text(satisfaction?["score"])?.ToLowerInvariant() switch { "good" => 5, "bad" => 1, _ => null };
            if (score is null)
            {
                return BadRequest("ticket.satisfaction.score", "must be \"good\" or \"bad\"");
            }
            core = new JsonObject
            {
                ["id"] = $"zendesk:{eventId}:csat",
                ["accountId"] = accountId,
                ["type"] = "survey",
                ["timestamp"] = timestamp,
                ["kind"] = "csat",
                ["score"] = score,
            };
            if (FirstText(ticket["requester_id"]) is { } requester)
            {
                core["respondentId"] = requester;
            }
            if (satisfaction?["comment"] is { } comment)
            {
                core["comment"] = comment.DeepClone();
            }
        }
        else
        {
            string? status = type switch
            {
                "ticket.created" => "opened",
                "ticket.agent_replied" => "first_response",
                "ticket.solved" => "solved",
                "ticket.reopened" => "reopened",
                _ => null,
            };
            if (status is null)
            {
                // Zendesk has many more events; acknowledging them keeps the webhook healthy.
                return TypedResults.Ok(new { accepted = 0, duplicates = 0, ignored = true });
            }
            core = new JsonObject
            {
                // Only the first agent reply of a ticket is its first response: later replies
                // get the same id and come back as duplicates.
                ["id"] = status == "first_response" ? $"zendesk:ticket:{ticketId}:first_response" : $"zendesk:{eventId}",
                ["accountId"] = accountId,
                ["type"] = "ticket",
                ["timestamp"] = timestamp,
                ["ticketId"] = ticketId,
                ["status"] = status,
            };
            if (Text(ticket["priority"]) is { } priority)
            {
                core["priority"] = priority.ToLowerInvariant();
            }
            if (ticket["tags"] is { } tags)
            {
                core["tags"] = tags.DeepClone();
            }
        }

        var signals = Validate([new PendingSignal(core, "$", TicketFields)], o.MaxBatchSignals, time.GetUtcNow(), out var problem);
        if (problem is not null)
        {
            return problem;
        }
        var result = await ingestor.IngestAsync(signals, ct);
        return TypedResults.Ok(new { accepted = result.Accepted, duplicates = result.Duplicates, ignored = false });
    }
}
