using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Index;
using CsMetrics.Contracts.Metrics;
using Microsoft.Extensions.Logging;

namespace CsMetrics.Grains.Metrics;

/// <summary>What a rebuild request got: the epoch it runs under, or (Queued) the one running now, after which one more runs.</summary>
public readonly record struct MetricsRebuildStart(long Epoch, bool Queued);

/// <summary>
/// Rebuilds the portfolio metrics from the accounts (docs/metrics.md, "Consistency and
/// rebuild"): takes a new epoch, resets the 16 shards to it, then asks every account listed in
/// the account index to republish its full facts under it. One run at a time per silo; a
/// request while one runs makes exactly one more run after it (drift found mid-run may concern
/// accounts the run already passed). Runs in the background: queries meanwhile may be short.
/// </summary>
public sealed class MetricsRebuilder(IGrainFactory grains, ILogger<MetricsRebuilder> logger)
{
    public const int Parallelism = 64;

    private readonly object _gate = new();
    private Task? _loop;
    private bool _again;
    private long _epoch;

    /// <summary>Starts a rebuild, or queues one more after the running one; returns once the epoch is known.</summary>
    public Task<MetricsRebuildStart> RequestAsync(string reason)
    {
        lock (_gate)
        {
            if (_loop is not null)
            {
                _again = true;
                return Task.FromResult(new MetricsRebuildStart(_epoch, Queued: true));
            }
            var started = new TaskCompletionSource<MetricsRebuildStart>(TaskCreationOptions.RunContinuationsAsynchronously);
            _loop = Task.Run(() => LoopAsync(reason, started));
            return started.Task;
        }
    }

    /// <summary>Starts a rebuild in the background (crash recovery): never throws, never waits.</summary>
    public void Request(string reason) => _ = RequestAsync(reason).ContinueWith(
        t => logger.LogError(t.Exception, "Could not start a metrics rebuild ({Reason})", reason),
        CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    /// <summary>Completes when no run is going or queued (tests, shutdown).</summary>
    public async Task WhenIdleAsync()
    {
        while (true)
        {
            Task? loop;
            lock (_gate)
            {
                loop = _loop;
            }
            if (loop is null)
            {
                return;
            }
            await loop;
        }
    }

    private async Task LoopAsync(string reason, TaskCompletionSource<MetricsRebuildStart>? started)
    {
        while (true)
        {
            try
            {
                await RunOnceAsync(reason, started);
            }
            catch (Exception ex)
            {
                started?.TrySetException(ex);
                logger.LogError(ex, "Metrics rebuild ({Reason}) stopped; the portfolio may be short until the next rebuild", reason);
            }
            started = null;
            lock (_gate)
            {
                if (!_again)
                {
                    _loop = null;
                    return;
                }
                _again = false;
                reason = "requested during the previous rebuild";
            }
        }
    }

    private async Task RunOnceAsync(string reason, TaskCompletionSource<MetricsRebuildStart>? started)
    {
        var epochs = grains.GetGrain<IMetricsEpochGrain>(0);
        // Above every shard's epoch too: a reset to an epoch a shard already has does nothing.
        var shards = Enumerable.Range(0, MetricsShards.Count).Select(s => grains.GetGrain<IMetricsShard>(s)).ToArray();
        long highest = (await Task.WhenAll(shards.Select(s => s.GetEpoch()))).Max();
        long epoch = await epochs.Begin(highest);
        lock (_gate)
        {
            _epoch = epoch;
        }
        started?.TrySetResult(new MetricsRebuildStart(epoch, Queued: false));
        logger.LogInformation("Rebuilding the portfolio metrics under epoch {Epoch} ({Reason})", epoch, reason);

        // Every shard first: an account republishing to a shard not yet reset would be cleared with it.
        await Task.WhenAll(shards.Select(s => s.Reset(epoch)));

        var indexShards = Enumerable.Range(0, AccountIndex.ShardCount).Select(s => grains.GetGrain<IAccountIndexShard>(s)).ToArray();
        var ids = await Task.WhenAll(indexShards.Select(s => s.AccountIds()));
        int total = ids.Sum(i => i.Length), done = 0, failed = 0;
        await epochs.Progress(epoch, 0, total);
        foreach (var shardIds in ids)
        {
            await Bounded.ForEachAsync(shardIds, Parallelism, async id =>
            {
                try
                {
                    await grains.GetGrain<IAccountGrain>(id).RepublishMetrics(epoch);
                    Interlocked.Increment(ref done);
                }
                catch (Exception ex)
                {
                    // Its facts are missing from the portfolio until the next rebuild: say so.
                    Interlocked.Increment(ref failed);
                    logger.LogWarning(ex, "Account {Account} could not republish its metrics under epoch {Epoch}", id, epoch);
                }
            });
            await epochs.Progress(epoch, done, total);
        }
        await epochs.Finish(epoch, done);
        logger.LogInformation("Portfolio metrics rebuilt under epoch {Epoch}: {Accounts} accounts republished, {Failed} failed", epoch, done, failed);
    }
}
