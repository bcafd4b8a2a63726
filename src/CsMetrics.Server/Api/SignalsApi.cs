using CsMetrics.Grains.Ingest;
using CsMetrics.Server.Auth;
using CsMetrics.Server.Ingest;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace CsMetrics.Server.Hosting;

public sealed record IngestResponse(int Accepted, int Duplicates);

public static class SignalsApi
{
    public static IEndpointRouteBuilder MapSignalsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/signals", IngestAsync)
            .RequireAuthorization(Policies.Ingest)
            .WithTags("Signals")
            .WithSummary("Ingest a batch of signals; 202 means durably stored.")
            .Accepts<SignalBatchDocument>("application/json")
            .Produces<IngestResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return app;
    }

    /// <summary>
    /// The benchmark's ceiling: the same body reading and parsing as ingest, then the batch is
    /// discarded. Only mapped when <c>CsMetrics:Benchmark:CeilingEndpoint</c> is true (never by
    /// default): it acknowledges without storing, which is only useful to measure the HTTP stack.
    /// </summary>
    public static IEndpointRouteBuilder MapSignalsCeilingApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/benchmark/ceiling", CeilingAsync)
            .RequireAuthorization(Policies.Ingest)
            .ExcludeFromDescription();
        return app;
    }

    private static async Task<Results<Accepted<IngestResponse>, ProblemHttpResult>> CeilingAsync(
        HttpContext http, IOptions<CsMetricsOptions> options, TimeProvider time, CancellationToken ct)
    {
        var o = options.Value;
        var body = await RequestBody.ReadAsync(http.Request, o.MaxRequestBodyBytes, ct);
        if (body.TooLarge)
        {
            return TypedResults.Problem(title: "Request body too large", statusCode: 413);
        }
        var parsed = SignalBatchParser.Parse(body.Bytes.Span, o.MaxBatchSignals, time.GetUtcNow());
        if (parsed.Errors.Count > 0)
        {
            return SignalProblems.From(parsed);
        }
        return TypedResults.Accepted((string?)null, new IngestResponse(parsed.Signals.Count, 0));
    }

    private static async Task<Results<Accepted<IngestResponse>, ProblemHttpResult>> IngestAsync(
        HttpContext http, SignalIngestor ingestor, IOptions<CsMetricsOptions> options, TimeProvider time, CancellationToken ct)
    {
        var o = options.Value;
        var body = await RequestBody.ReadAsync(http.Request, o.MaxRequestBodyBytes, ct);
        if (body.TooLarge)
        {
            return TypedResults.Problem(title: "Request body too large", detail: $"The body exceeds {o.MaxRequestBodyBytes} bytes; split the batch.", statusCode: 413);
        }

        var parsed = SignalBatchParser.Parse(body.Bytes.Span, o.MaxBatchSignals, time.GetUtcNow());
        if (parsed.Errors.Count > 0)
        {
            return SignalProblems.From(parsed);
        }

        var result = await ingestor.IngestAsync(parsed.Signals, ct);
        return TypedResults.Accepted((string?)null, new IngestResponse(result.Accepted, result.Duplicates));
    }
}

/// <summary>OpenAPI shape of the ingest body (the endpoint reads the raw bytes itself).</summary>
public sealed record SignalBatchDocument(SignalDocument[] Signals);

public sealed record SignalDocument(
    string Id, string AccountId, string Type, DateTimeOffset Timestamp,
    string? UserId, string? Feature, int? Count,
    string? TicketId, string? Status, string? Priority, string[]? Tags, int? AgentReplies,
    string? Kind, int? Score, string? RespondentId, string? Comment,
    decimal? Mrr);

public static class SignalProblems
{
    /// <summary>The problem type of every answer about a signal batch (rejected, refused): docs/signals.md, Errors.</summary>
    public const string Type = "https://github.com/csmetrics/csmetrics/blob/main/docs/signals.md#errors";

    public static ProblemHttpResult From(SignalBatchParseResult parsed)
    {
        var first = parsed.Errors[0];
        string where = first.Index is { } i ? $"signals[{i}].{first.Field}" : first.Field;
        var problem = new ProblemDetails
        {
            Status = parsed.TooMany ? 413 : 400,
            Title = parsed.TooMany ? "Batch too large" : "Invalid signal batch",
            Detail = $"{where} {first.Message}. The whole batch was rejected; nothing was applied.",
            Type = SignalProblems.Type,
        };
        problem.Extensions["errors"] = parsed.Errors.Select(e => new { index = e.Index, field = e.Field, message = e.Message }).ToArray();
        return TypedResults.Problem(problem);
    }
}

/// <summary>Reads a request body up to a limit, without trusting Content-Length.</summary>
public static class RequestBody
{
    public readonly record struct Body(ReadOnlyMemory<byte> Bytes, bool TooLarge);

    public static async Task<Body> ReadAsync(HttpRequest request, long limit, CancellationToken ct)
    {
        if (request.ContentLength > limit)
        {
            return new Body(default, true);
        }
        using var buffer = new MemoryStream(request.ContentLength is { } n && n > 0 ? (int)n : 16 * 1024);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return new Body(default, true);
            }
            buffer.Write(chunk, 0, read);
        }
        return new Body(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), false);
    }
}
