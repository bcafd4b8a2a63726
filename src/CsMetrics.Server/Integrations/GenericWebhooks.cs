using System.Text.Json.Nodes;
using CsMetrics.Grains.Ingest;
using CsMetrics.Server.Hosting;
using Microsoft.Extensions.Options;
using static CsMetrics.Server.Integrations.IntegrationSignals;

namespace CsMetrics.Server.Integrations;

/// <summary>
/// Flat webhooks for help desks and survey tools without a dedicated integration:
/// <c>/api/v1/integrations/tickets</c> and <c>/api/v1/integrations/surveys</c>. docs/integrations.md#generic-webhooks.
/// </summary>
public static class GenericWebhooks
{
    private static readonly string[] TicketFields = ["id", "accountId", "ticketId", "status", "priority", "tags", "agentReplies", "timestamp"];
    private static readonly string[] SurveyFields = ["id", "accountId", "kind", "score", "respondentId", "comment", "timestamp"];

    public static Task<IResult> TicketsAsync(HttpContext http, SignalIngestor ingestor, IOptions<CsMetricsOptions> options, TimeProvider time, CancellationToken ct) =>
        HandleAsync(http, "ticket", TicketFields, ingestor, options.Value, time, ct);

    public static Task<IResult> SurveysAsync(HttpContext http, SignalIngestor ingestor, IOptions<CsMetricsOptions> options, TimeProvider time, CancellationToken ct) =>
        HandleAsync(http, "survey", SurveyFields, ingestor, options.Value, time, ct);

    private static async Task<IResult> HandleAsync(
        HttpContext http, string type, string[] fields, SignalIngestor ingestor, CsMetricsOptions o, TimeProvider time, CancellationToken ct)
    {
        var body = await RequestBody.ReadAsync(http.Request, o.MaxRequestBodyBytes, ct);
        if (body.TooLarge)
        {
            return TooLarge(o.MaxRequestBodyBytes);
        }
        try
        {
            var root = ParseBody(body.Bytes, out var parseProblem);
            if (parseProblem is not null)
            {
                return parseProblem;
            }
            var items = new List<(JsonNode? Item, string Path)>();
            if (root is JsonArray array)
            {
                if (array.Count == 0)
                {
                    return BadRequest("$", "the array is empty");
                }
                if (array.Count > o.MaxBatchSignals)
                {
                    return Problem(413, "Too many events", [("$", $"{array.Count} events in one request; the limit is {o.MaxBatchSignals}")]);
                }
                for (int i = 0; i < array.Count; i++)
                {
                    items.Add((array[i], $"[{i}]"));
                }
            }
            else
            {
                items.Add((root, "$"));
            }

            var pending = new List<PendingSignal>(items.Count);
            foreach (var (node, path) in items)
            {
                if (node is not JsonObject item)
                {
                    return BadRequest(path, "must be a JSON object");
                }
                var core = new JsonObject { ["type"] = type };
                foreach (var f in fields)
                {
                    if (item[f] is { } value)
                    {
                        core[f] = value.DeepClone();
                    }
                }
                core["id"] ??= DerivedId(type + "-", item);
                core["timestamp"] ??= Now(time);
                pending.Add(new PendingSignal(core, path));
            }
            var signals = Validate(pending, o.MaxBatchSignals, time.GetUtcNow(), out var problem);
            if (problem is not null)
            {
                return problem;
            }
            var result = await ingestor.IngestAsync(signals, ct);
            return TypedResults.Accepted((string?)null, new IngestResponse(result.Accepted, result.Duplicates));
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException)
        {
            return BadRequest("$", "could not be read: " + ex.Message);
        }
    }
}
