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
