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
/// <para>
/// A run is recorded when it begins (the epoch grain persists "rebuilding"): a run cut short by
/// a stop or a crash is still marked at the next start, which runs it again
/// (<see cref="WasInterruptedAsync"/>). Callers that are about to lose the reason for a rebuild
/// (a replayed log about to be checkpointed, an adopted log about to be deleted) await
/// <see cref="RequestRecordedAsync"/> first.
/// </para>
/// </summary>
public sealed class MetricsRebuilder(IGrainFactory grains, ILogger<MetricsRebuilder> logger)
{
    public const int Parallelism = 64;

    private readonly object _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;
    private bool _again;
    private long _epoch;

    /// <summary>Starts a rebuild, or queues one more after the running one; returns once the epoch is known.</summary>
    public Task<MetricsRebuildStart> RequestAsync(string reason)
    {
        if (_stopping.IsCancellationRequested)
        {
            // Not run against a stopping silo: recorded, so that the next start runs it.
            return RecordForNextStartAsync(reason);
        }
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

    /// <summary>
    /// Starts a rebuild (or queues one) and completes once it is recorded, so that a stop right
    /// after cannot lose it: a queued one rides on the running one, which is recorded as running
    /// until it finishes. Never throws: a failure is logged.
    /// </summary>
    public async Task RequestRecordedAsync(string reason)
    {
        try
        {
            await RequestAsync(reason);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Could not start a metrics rebuild ({Reason}); run one with POST /api/v1/metrics/rebuild", reason);
        }
    }

    /// <summary>
    /// Whether a rebuild began and never finished (the node running it stopped or died): read at
    /// start-up, before anything new can begin one. In a cluster it may be another node's run in
    /// progress; running one more then costs time, not correctness.
    /// </summary>
    public async Task<bool> WasInterruptedAsync() =>
        (await grains.GetGrain<IMetricsEpochGrain>(0).Status()).Rebuilding;

    /// <summary>
    /// The node is stopping: the running rebuild ends after the accounts in flight (it stays
    /// recorded as running, so the next start runs it again), a queued one is recorded for the
    /// next start, and later requests are only recorded. Completes when the loop has ended.
    /// </summary>
    public async Task StopAsync()
    {
        await _stopping.CancelAsync();
        await WhenIdleAsync();
    }

    private async Task<MetricsRebuildStart> RecordForNextStartAsync(string reason)
    {
        var epochs = grains.GetGrain<IMetricsEpochGrain>(0);
        var status = await epochs.Status();
        if (!status.Rebuilding)
        {
            status = status with { Epoch = await epochs.Begin(0) };
        }
        logger.LogInformation("Metrics rebuild ({Reason}) recorded under epoch {Epoch}: the node is stopping, the next start runs it", reason, status.Epoch);
        return new MetricsRebuildStart(status.Epoch, Queued: true);
    }

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
                await RunOnceAsync(reason, started, _stopping.Token);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                started?.TrySetCanceled();
                logger.LogInformation("Metrics rebuild ({Reason}) cut short by the stop; the next start runs it again", reason);
            }
            catch (Exception ex)
            {
                started?.TrySetException(ex);
                logger.LogError(ex, "Metrics rebuild ({Reason}) stopped; the portfolio may be short until the next rebuild", reason);
            }
            started = null;
            bool recordAgain;
            lock (_gate)
            {
                if (!_again)
                {
                    _loop = null;
                    return;
                }
                _again = false;
                reason = "requested during the previous rebuild";
                recordAgain = _stopping.IsCancellationRequested;
            }
            if (recordAgain)
            {
                try
                {
                    await RecordForNextStartAsync(reason);
                }
                catch (Exception ex)
                {
                    logger.LogError(ex, "Could not record the queued metrics rebuild for the next start; run one with POST /api/v1/metrics/rebuild");
                }
                lock (_gate)
                {
                    _loop = null;
                }
                return;
            }
        }
    }

    private async Task RunOnceAsync(string reason, TaskCompletionSource<MetricsRebuildStart>? started, CancellationToken stopping)
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
                if (stopping.IsCancellationRequested)
                {
                    return;
                }
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
            // Left unfinished: the epoch stays "rebuilding", which the next start reads.
            stopping.ThrowIfCancellationRequested();
        }
        await epochs.Finish(epoch, done);
        logger.LogInformation("Portfolio metrics rebuilt under epoch {Epoch}: {Accounts} accounts republished, {Failed} failed", epoch, done, failed);
    }
}
