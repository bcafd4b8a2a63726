using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Index;
using CsMetrics.Contracts.Metrics;
using CsMetrics.Grains.Ingest;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CsMetrics.Grains.Checkpoints;

public sealed class CheckpointOptions
{
    public const string Section = "CsMetrics:Checkpoint";

    /// <summary>How often changed accounts are written and the ingest log truncated.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// Writes changed account state and the index, then moves the log's checkpoint to the applied
/// watermark read *before* the writes began: every entry at or below it is in the state just
/// written, so recovery only replays what came after. Checkpointing is off the request path.
/// </summary>
public sealed class Checkpointer(
    IIngestLog log,
    AppliedWatermark watermark,
    DirtyAccounts dirty,
    DirtyCommentMonths dirtyMonths,
    IGrainFactory grains,
    ILogger<Checkpointer> logger)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<long> CheckpointAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            long through = watermark.Through;
            var ids = dirty.Drain();
            try
            {
                await Bounded.ForEachAsync(ids, 64, id => grains.GetGrain<IAccountGrain>(id).Checkpoint());
                await Bounded.ForEachAsync(Enumerable.Range(0, AccountIndex.ShardCount), 16, s => grains.GetGrain<IAccountIndexShard>(s).Checkpoint());
                await Bounded.ForEachAsync(Enumerable.Range(0, MetricsShards.Count), 16, s => grains.GetGrain<IMetricsShard>(s).Checkpoint());
                // Derived stores fed one-way by the accounts: calibration shards (cheap when unchanged) and the months with new comments.
                await Bounded.ForEachAsync(Enumerable.Range(0, AccountIndex.ShardCount), 16, s => grains.GetGrain<Contracts.Calibration.ICalibrationShard>(s).Checkpoint());
                await Bounded.ForEachAsync(dirtyMonths.Drain(), 16, m => grains.GetGrain<Contracts.Voc.IVocCommentStore>(m).Checkpoint());
            }
            catch
            {
                // Those accounts are still dirty: try them again next round.
                foreach (var id in ids)
                {
                    dirty.Mark(id);
                }
                throw;
            }

            if (through > await log.GetCheckpointAsync(cancellationToken))
            {
                await log.SetCheckpointAsync(through, cancellationToken);
            }
            if (ids.Count > 0)
            {
                logger.LogDebug("Checkpointed {Accounts} accounts through log entry {Sequence}", ids.Count, through);
            }
            return through;
        }
        finally
        {
            _gate.Release();
        }
    }
}
