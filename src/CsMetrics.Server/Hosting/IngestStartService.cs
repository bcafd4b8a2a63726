using CsMetrics.Grains.Ingest;

namespace CsMetrics.Server.Hosting;

/// <summary>
/// Runs the ingest start — the replay of the log past the last checkpoint, then readiness — after
/// the silo started, alongside the web server's start (<see cref="IngestStartMode.AfterHost"/>).
/// The host's start still completes only after it, but during a long replay <c>/healthz</c> and <c>/readyz</c> answer
/// 503 "starting" and other requests 503 with Retry-After (<see cref="StartingGate"/>) instead of
/// connections being refused; and the server's own start-up (Kestrel, the first request's
/// routing) overlaps the replay instead of following it.
/// </summary>
public sealed class IngestStartService(IngestLifecycle ingest) : IHostedLifecycleService
{
    private Task? _start;

    // Registered right after the silo: by now it has started. The replay begins here and runs
    // while the remaining services and the web server (always started last) start, and the
    // host's start completes only once it is done (StartedAsync, after every StartAsync).
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _start = Task.Run(() => ingest.StartAsync(cancellationToken), CancellationToken.None);
        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken) => _start ?? Task.CompletedTask;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// While the node starts (silo joining, log replaying), every request but the health and metrics
/// probes gets 503 with Retry-After: the API would read half-replayed accounts, and signals
/// ingested before the replay ends could be applied out of log order.
/// </summary>
public static class StartingGate
{
    public static IApplicationBuilder UseStartingGate(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var readiness = context.RequestServices.GetRequiredService<IngestReadiness>();
            if (readiness.IsStarting && !IsProbe(context.Request.Path))
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

    private const string Detail = "the node is starting (joining its cluster, replaying its ingest log); retry shortly";

    private const string StartingPage =
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"2\">"
        + "<title>CsMetrics is starting</title></head><body>"
        + "<h1>CsMetrics is starting</h1><p>The node is replaying its ingest log. This page reloads by itself.</p></body></html>";

    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz") || path.StartsWithSegments(Observability.ObservabilitySetup.MetricsPath);
}
