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
/// truncating the log would lose them. So each account says which activations' applies its
/// state holds (the live one, and those that wrote everything when they deactivated); if one
/// that applied this round's entries is not among them, the log is replayed past the checkpoint
/// (ids make that exact) and the truncation waits for a round in which every account checks out.
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

    /// <summary>Accounts written between two looks at the pacing schedule.</summary>
    public const int PacingChunk = 256;

    /// <summary>The periodic checkpoint's pacing for an interval: half of it, at most 5 s (a long interval is no reason to trickle for hours).</summary>
    public static TimeSpan PacingFor(TimeSpan interval) => TimeSpan.FromTicks(Math.Min(interval.Ticks / 2, TimeSpan.FromSeconds(5).Ticks));

    /// <param name="cancellationToken">Cancels the checkpoint (its accounts stay dirty).</param>
    /// <param name="spreadOver">
    /// The periodic checkpoint's pacing: the account writes are spread over about this long
    /// instead of going out in one burst, and the shards write two at a time. A checkpoint
    /// writing every changed account (tens of thousands under load) and every shard at once took
    /// both cores for a moment, and the live deltas waiting behind it were the p99 of freshness
    /// (46–48 ms at 2,000 signals/s with checkpoints, 12–14 ms with them turned off).
    /// Ahead of schedule it waits; behind it, it writes at full speed, so a checkpoint never
    /// takes longer than unpaced work would. Null (shutdown, after a replay): as fast as possible.
    /// </param>
    public async Task<long> CheckpointAsync(CancellationToken cancellationToken = default, TimeSpan? spreadOver = null)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            long through = watermark.Through;
            var ids = dirty.Drain(out long round);
            var lost = new System.Collections.Concurrent.ConcurrentBag<string>();
            try
            {
                await WriteAccountsAsync(ids, async pair =>
                {
                    // Written as it deactivated, holding every activation its mark names: done,
                    // without activating it again (DirtyAccounts.HandedOff).
                    if (dirty.TryGetHandOff(pair.Key, out var holders) && pair.Value.IsHeldBy(new StateHolders(0, holders)))
                    {
                        return;
                    }
                    var writtenBy = await grains.Get<IAccountGrain>(pair.Key).CheckpointHolders();
                    if (!pair.Value.IsHeldBy(writtenBy))
                    {
                        lost.Add(pair.Key);
                    }
                }, spreadOver, cancellationToken);
                // Shards write their whole state, and while one does, the upserts on their way to
                // the watchlists wait behind it: paced, two at a time instead of sixteen, so live
                // deltas get through in between (measured: the shards' part of a checkpoint was
                // most of the freshness p99 at 2,000 signals/s).
                int shardsAtOnce = spreadOver is null ? 16 : 2;
                await Bounded.ForEachAsync(Enumerable.Range(0, AccountIndex.ShardCount), shardsAtOnce, s => grains.GetGrain<IAccountIndexShard>(s).Checkpoint());
                await Bounded.ForEachAsync(Enumerable.Range(0, MetricsShards.Count), shardsAtOnce, s => grains.GetGrain<IMetricsShard>(s).Checkpoint());
                // Derived stores fed one-way by the accounts: calibration shards (cheap when unchanged) and the months with new comments.
                await Bounded.ForEachAsync(Enumerable.Range(0, AccountIndex.ShardCount), shardsAtOnce, s => grains.GetGrain<Contracts.Calibration.ICalibrationShard>(s).Checkpoint());
                await Bounded.ForEachAsync(dirtyMonths.Drain(), shardsAtOnce, m => grains.GetGrain<Contracts.Voc.IVocCommentStore>(m).Checkpoint());
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
            // Every mark of the round held: accounts that applied before it need not hand off.
            dirty.RoundCheckedOut(round);
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

    /// <summary>
    /// Writes the accounts, 64 at a time; with <paramref name="spreadOver"/>, in chunks of
    /// <see cref="PacingChunk"/> on a schedule that reaches the last one after about that long.
    /// The schedule runs on real elapsed time: it shares the CPU, it is not business time.
    /// </summary>
    private static async Task WriteAccountsAsync(
        IReadOnlyDictionary<string, DirtyMark> ids,
        Func<KeyValuePair<string, DirtyMark>, Task> write,
        TimeSpan? spreadOver,
        CancellationToken cancellationToken)
    {
        if (spreadOver is not { } budget || ids.Count <= PacingChunk)
        {
            await Bounded.ForEachAsync(ids, 64, write);
            return;
        }
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        int done = 0;
        foreach (var chunk in ids.Chunk(PacingChunk))
        {
            await Bounded.ForEachAsync(chunk, 64, write);
            done += chunk.Length;
            if (done < ids.Count)
            {
                var ahead = budget * ((double)done / ids.Count) - System.Diagnostics.Stopwatch.GetElapsedTime(started);
                if (ahead > TimeSpan.Zero)
                {
                    await Task.Delay(ahead, cancellationToken);
                }
            }
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
        await metricsRebuilder.RequestRecordedAsync("accounts came back without applied log entries");
    }
}
