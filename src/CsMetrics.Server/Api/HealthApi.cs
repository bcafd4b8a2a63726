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
        app.MapGet("/readyz", (IngestReadiness readiness) =>
            readiness.IsReady ? Results.Ok(new { status = "ready" }) : Results.Json(new { status = readiness.IsStopping ? "stopping" : "starting" }, statusCode: 503))
            .AllowAnonymous()
            .WithTags("Health");
        return app;
    }
}
