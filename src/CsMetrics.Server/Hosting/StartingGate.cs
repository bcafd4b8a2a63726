using CsMetrics.Grains.Ingest;

namespace CsMetrics.Server.Hosting;

/// <summary>
/// While the node starts (silo joining, log replaying), every request but the health and metrics
/// probes gets 503 with Retry-After: the API would read half-replayed accounts, and signals
/// ingested before the replay ends could be applied out of log order.
/// </summary>
public static class StartingGate
{
    public static IApplicationBuilder UseStartingGate(this IApplicationBuilder app)
    {
        var readiness = app.ApplicationServices.GetRequiredService<IngestReadiness>();
        return app.Use(async (context, next) =>
        {
            if (readiness.IsStarting && !Observability.ObservabilitySetup.IsInfrastructurePath(context.Request.Path))
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                context.Response.Headers.RetryAfter = "1";
                if (context.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase))
                {
                    // A CSM opening the dashboard during a restart: a page that reloads itself.
                    context.Response.ContentType = "text/html; charset=utf-8";
                    await context.Response.WriteAsync(StartingPage);
                    return;
                }
                await context.Response.WriteAsJsonAsync(new { status = "starting", detail = Detail });
                return;
            }
            await next(context);
        });
    }

    private const string Detail = "the node is starting (joining its cluster, replaying its ingest log); retry shortly";

    private const string StartingPage =
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"2\">"
        + "<title>CsMetrics is starting</title></head><body>"
        + "<h1>CsMetrics is starting</h1><p>The node is replaying its ingest log. This page reloads by itself.</p></body></html>";
}
