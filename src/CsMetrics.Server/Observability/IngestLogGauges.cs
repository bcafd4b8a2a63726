using CsMetrics.Grains.Ingest;
using CsMetrics.Grains.Telemetry;

namespace CsMetrics.Server.Observability;

/// <summary>
/// Feeds this host's ingest log into the <c>csmetrics.ingest.log.lag</c> and
/// <c>csmetrics.ingest.log.unapplied</c> gauges of <see cref="CsMetricsTelemetry"/> while the host
/// runs. The log and the watermark are resolved at the first reading (the silo creates them):
/// <list type="bullet">
/// <item>lag = LastSequence − checkpoint: what a restart would replay; grows between checkpoints
/// and drops at each one.</item>
/// <item>unapplied = LastSequence − applied watermark: logged but not yet applied to the grains;
/// persistently above zero means applying is stuck.</item>
/// </list>
/// </summary>
public sealed class IngestLogGauges(IServiceProvider services) : IHostedService
{
    private IDisposable? _registration;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _registration = CsMetricsTelemetry.RegisterIngestLog(Lag, Unapplied);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _registration?.Dispose();
        _registration = null;
        return Task.CompletedTask;
    }

    private long? Lag()
    {
        if (services.GetService<IIngestLog>() is not { } log)
        {
            return null;
        }
        var checkpoint = log.GetCheckpointAsync();
        return checkpoint.IsCompletedSuccessfully ? Math.Max(0, log.LastSequence - checkpoint.Result) : null;
    }

    private long? Unapplied() =>
        services.GetService<IIngestLog>() is { } log && services.GetService<AppliedWatermark>() is { } watermark
            ? Math.Max(0, log.LastSequence - watermark.Through)
            : null;
}
