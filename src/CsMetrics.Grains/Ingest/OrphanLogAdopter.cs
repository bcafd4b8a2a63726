using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Index;
using CsMetrics.Contracts.Signals;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CsMetrics.Grains.Ingest;

public sealed class ClusterLogOptions
{
    public const string Section = "CsMetrics:Cluster";

    /// <summary>How often a node tells the others that its ingest log is alive.</summary>
    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A log whose owner has been silent this long is replayed by another node.</summary>
    public TimeSpan OrphanAfter { get; set; } = TimeSpan.FromSeconds(15);
}

/// <summary>
/// Cluster mode: keeps this node's log registered as alive, and replays the logs of nodes that
/// died. A dead node may have acknowledged batches that never reached their grains, or whose
/// effects lived only in memory; every node's log holds what is past its last checkpoint, so
/// replaying a silent node's log through the grains (ids drop what was applied already), then
/// checking that every account it touched has written state holding it, makes the loss whole.
/// Only then is the orphaned log deleted. A Redis key with an expiry keeps two nodes from
/// adopting the same log at once; if the adopter dies too, the key expires and another one does it.
/// </summary>
public sealed class OrphanLogAdopter(
    IConnectionMultiplexer redis,
    IIngestLog ownLog,
    SignalIngestor ingestor,
    IGrainFactory grains,
    IOptions<ClusterLogOptions> options,
    TimeProvider time,
    Metrics.MetricsRebuilder metricsRebuilder,
    ILogger<OrphanLogAdopter> logger)
{
    private static readonly TimeSpan AdoptionLease = TimeSpan.FromMinutes(2);

    private RedisLogKeys Keys => ((RedisIngestLog)ownLog).Keys;

    public Task HeartbeatAsync() => ((RedisIngestLog)ownLog).HeartbeatAsync(time.GetUtcNow());

    /// <summary>Heartbeats and adopts orphans until stopped.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(options.Value.Heartbeat, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                try
                {
                    await HeartbeatAsync();
                    await AdoptOrphansAsync(stop);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Heartbeat or orphaned-log check failed; trying again");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Replays every log whose owner is silent for longer than the orphan threshold. Returns how many.</summary>
    public async Task<int> AdoptOrphansAsync(CancellationToken cancellationToken = default)
    {
        var db = redis.GetDatabase();
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        long threshold = (long)options.Value.OrphanAfter.TotalMilliseconds;
        int adopted = 0;
        foreach (var registered in await db.HashGetAllAsync(Keys.Registry))
        {
            string name = registered.Name!;
            if (name == ownLog.Name || now - (long)registered.Value <= threshold)
            {
                continue;
            }
            if (!await db.StringSetAsync(Keys.Adoption(name), ownLog.Name, AdoptionLease, When.NotExists))
            {
                continue; // another node is on it
            }
            try
            {
                await AdoptAsync(name, cancellationToken);
                adopted++;
            }
            finally
            {
                await db.KeyDeleteAsync(Keys.Adoption(name));
            }
        }
        return adopted;
    }

    private async Task AdoptAsync(string name, CancellationToken cancellationToken)
    {
        var orphan = new RedisIngestLog(redis, name, Keys.Prefix);
        await orphan.LoadLastSequenceAsync();
        long checkpoint = await orphan.GetCheckpointAsync(cancellationToken);
        logger.LogWarning("Log {Log} is orphaned (its node is silent); replaying entries {From}..{To}", name, checkpoint + 1, orphan.LastSequence);

        for (int attempt = 1; ; attempt++)
        {
            var marks = new Dictionary<string, Checkpoints.DirtyMark>(StringComparer.Ordinal);
            void Applied(string account, ApplyResult result)
            {
                lock (marks)
                {
                    marks.TryGetValue(account, out var mark);
                    marks[account] = mark.With(1, result.Activation);
                }
            }
            long entries = 0, applied = 0;
            await foreach (var entry in orphan.ReadAfterAsync(checkpoint, cancellationToken))
            {
                var result = await ingestor.ApplyForeignAsync(SignalCodec.Decode(entry.Payload), Applied);
                applied += result.Accepted;
                entries++;
            }

            // Every account must have been written by the activation that got all of its entries.
            int short_ = 0;
            await Bounded.ForEachAsync(marks, 64, async pair =>
            {
                var writtenBy = await grains.GetGrain<IAccountGrain>(pair.Key).CheckpointHolders();
                if (!pair.Value.IsHeldBy(writtenBy))
                {
                    Interlocked.Increment(ref short_);
                }
            });
            await Bounded.ForEachAsync(Enumerable.Range(0, AccountIndex.ShardCount), 16, s => grains.GetGrain<IAccountIndexShard>(s).Checkpoint());
            await Bounded.ForEachAsync(Enumerable.Range(0, Contracts.Metrics.MetricsShards.Count), 16, s => grains.GetGrain<Contracts.Metrics.IMetricsShard>(s).Checkpoint());
            if (short_ == 0)
            {
                // The dead node's shards and accounts were not written together: rebuild the
                // portfolio, recorded before the log that says so is gone.
                await metricsRebuilder.RequestRecordedAsync($"adopted orphaned log {name}");
                await orphan.DeleteAsync();
                logger.LogInformation(
                    "Adopted log {Log}: {Entries} entries replayed, {Applied} signals were missing and are applied; {Accounts} accounts checkpointed; log deleted",
                    name, entries, applied, marks.Count);
                return;
            }
            if (attempt == 5)
            {
                throw new InvalidOperationException($"{short_} accounts still lack entries of log {name} after {attempt} replays");
            }
            // An account moved again while we wrote it (another silo left): replay once more.
            logger.LogWarning("{Accounts} accounts lost entries of log {Log} during its adoption; replaying again", short_, name);
        }
    }
}
