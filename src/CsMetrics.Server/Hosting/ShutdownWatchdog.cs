using CsMetrics.Grains.Ingest;
using Microsoft.Extensions.Options;

namespace CsMetrics.Server.Hosting;

/// <summary>
/// Ends the process when its stop hangs after the part that matters. Once the final checkpoint
/// was written or failed (<see cref="IngestLifecycle.Stopped"/>), the silo's stop gets
/// <see cref="CsMetricsOptions.StopGrace"/> to finish; past that the process logs why and exits
/// with code 1. Orleans retries an unreachable membership table for ever while stopping: in cluster
/// mode with Redis down a SIGTERM otherwise left the process running until the supervisor's SIGKILL
/// (docker: 10 s, Kubernetes: the pod's grace period). Nothing acknowledged is lost either way: the
/// ingest log holds everything past the last checkpoint and the next start replays it.
/// </summary>
public sealed class ShutdownWatchdog(
    IngestLifecycle ingest,
    IHostApplicationLifetime lifetime,
    IOptions<CsMetricsOptions> options,
    TimeProvider time,
    ILogger<ShutdownWatchdog> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var grace = options.Value.StopGrace;
        if (grace > TimeSpan.Zero)
        {
            lifetime.ApplicationStopping.Register(() => _ = Task.Run(() => WatchAsync(grace), CancellationToken.None));
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task WatchAsync(TimeSpan grace)
    {
        await ingest.Stopped;
        await Task.Delay(grace, time);
        logger.LogCritical(
            "The stop did not finish within {Grace} after the final checkpoint (is the cluster's Redis reachable?); exiting with code 1. The ingest log keeps everything acknowledged since the last checkpoint: the next start replays it",
            grace);
        // The console logger writes from its own queue: give it a moment.
        await Task.Delay(TimeSpan.FromMilliseconds(500), TimeProvider.System);
        Environment.Exit(1);
    }
}
