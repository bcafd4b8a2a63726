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
/// <para>
/// In a cluster the accounts this node's log fed may live on other silos. If one of those silos
/// died, an account comes back from its last checkpoint without the entries applied since, and
/// truncating the log would lose them. So each account says which activation wrote its state;
/// if that is not the one activation that applied this round's entries, the log is replayed
/// past the checkpoint (ids make that exact) and the truncation waits for a round in which
/// every account checks out.
/// </para>
/// </summary>
public sealed class Checkpointer(
    IIngestLog log,
    AppliedWatermark watermark,
    DirtyAccounts dirty,
    DirtyCommentMonths dirtyMonths,
    IGrainFactory grains,
    SignalIngestor ingestor,
    Metrics.MetricsRebuilder metricsRebuilder,
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
            var lost = new System.Collections.Concurrent.ConcurrentBag<string>();
            try
            {
                await Bounded.ForEachAsync(ids, 64, async pair =>
                {
                    long writtenBy = await grains.Get<IAccountGrain>(pair.Key).CheckpointActivation();
                    if (!pair.Value.IsHeldBy(writtenBy))
                    {
                        lost.Add(pair.Key);
                    }
                });
                await Bounded.ForEachAsync(Enumerable.Range(0, AccountIndex.ShardCount), 16, s => grains.GetGrain<IAccountIndexShard>(s).Checkpoint());
                await Bounded.ForEachAsync(Enumerable.Range(0, MetricsShards.Count), 16, s => grains.GetGrain<IMetricsShard>(s).Checkpoint());
                // Derived stores fed one-way by the accounts: calibration shards (cheap when unchanged) and the months with new comments.
                await Bounded.ForEachAsync(Enumerable.Range(0, AccountIndex.ShardCount), 16, s => grains.GetGrain<Contracts.Calibration.ICalibrationShard>(s).Checkpoint());
                await Bounded.ForEachAsync(dirtyMonths.Drain(), 16, m => grains.GetGrain<Contracts.Voc.IVocCommentStore>(m).Checkpoint());
            }
            catch
            {
                // Those accounts are still dirty: try them again next round.
                foreach (var (id, mark) in ids)
                {
                    dirty.Restore(id, mark);
                }
                throw;
            }

            long checkpoint = await log.GetCheckpointAsync(cancellationToken);
            if (!lost.IsEmpty)
            {
                await RecoverLostAsync([.. lost], checkpoint, cancellationToken);
                return checkpoint;
            }
            if (through > checkpoint)
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

    private async Task RecoverLostAsync(IReadOnlyList<string> lost, long checkpoint, CancellationToken cancellationToken)
    {
        // No re-mark: the replay marks every account it reaches, with the activation it reaches.
        logger.LogWarning(
            "{Accounts} accounts (e.g. {Account}) came back without entries of log {Log} they had applied (their silo left); replaying the log past {Checkpoint}",
            lost.Count, lost[0], log.Name, checkpoint);
        var (entries, applied) = await ingestor.ReplayLogAsync(checkpoint, cancellationToken);
        logger.LogInformation("Replayed {Entries} log entries: {Applied} signals were missing and are applied again", entries, applied);
        // The silo that left may have held metrics shards or accounts with unsaved changes: rebuild.
        metricsRebuilder.Request("accounts came back without applied log entries");
    }
}
