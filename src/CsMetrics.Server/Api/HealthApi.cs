using CsMetrics.Grains.Ingest;

namespace CsMetrics.Server.Hosting;

public static class HealthApi
{
    /// <summary><c>/healthz</c>: the process is up and its silo started (no key needed, for probes).</summary>
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", (IngestReadiness readiness) =>
            readiness.IsReady ? Results.Ok(new { status = "ok" }) : Results.Json(new { status = "starting" }, statusCode: 503))
            .AllowAnonymous()
            .WithTags("Health");
        // Ready: joined the cluster with the log replayed (readiness), and in cluster mode Redis,
        // which holds membership, state and the log, is connected.
        app.MapGet("/readyz", (IngestReadiness readiness, IServiceProvider services) =>
        {
            if (!readiness.IsReady)
            {
                return Results.Json(new { status = readiness.IsStopping ? "stopping" : "starting" }, statusCode: 503);
            }
            var redis = services.GetService<StackExchange.Redis.IConnectionMultiplexer>();
            return redis is { IsConnected: false }
                ? Results.Json(new { status = "redis unreachable" }, statusCode: 503)
                : Results.Ok(new { status = "ready" });
        })
            .AllowAnonymous()
            .WithTags("Health");
        return app;
    }
}
