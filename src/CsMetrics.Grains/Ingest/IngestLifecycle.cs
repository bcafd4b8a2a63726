using CsMetrics.Grains.Checkpoints;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CsMetrics.Grains.Ingest;

/// <summary>
/// Ties the ingest log to the silo's life. On start — as the silo becomes active, or in the
/// server once its HTTP server listens (<see cref="IngestStartMode"/>) — every log entry past the
/// last checkpoint is replayed through the grains (dedup makes it exact) before the node is
/// ready; then a timer checkpoints every few seconds. On stop (SIGTERM), a last checkpoint runs while
/// grains can still be reached, so a clean restart replays nothing.
/// </summary>
public sealed class IngestLifecycle(
    IIngestLog log,
    SignalIngestor ingestor,
    AppliedWatermark watermark,
    Checkpointer checkpointer,
    IngestReadiness readiness,
    Scorecards.ScorecardRegistry scorecards,
    Sweeps.SilenceSweeper sweeper,
    Scorecards.ScorecardRescorer rescorer,
    Metrics.MetricsRebuilder metricsRebuilder,
    IGrainFactory grains,
    IOptions<CheckpointOptions> options,
    TimeProvider time,
    ILogger<IngestLifecycle> logger,
    OrphanLogAdopter? orphans = null,
    IngestStartMode startMode = IngestStartMode.WithSilo) : ILifecycleParticipant<ISiloLifecycle>
{
    private CancellationTokenSource? _stop;
    private Task? _recoveryCheckpoint;
    private Task? _loop;
    private Task? _sweeps;
    private Task? _heartbeats;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Completes when the stop's own work is over: the final checkpoint was written or failed.
    /// What the silo's stop does after that (membership, deactivations) keeps nothing acknowledged.
    /// </summary>
    public Task Stopped => _stopped.Task;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(
            nameof(IngestLifecycle),
            ServiceLifecycleStage.Active,
            startMode == IngestStartMode.WithSilo ? StartAsync : _ => Task.CompletedTask,
            StopAsync);

    /// <summary>
    /// Replays the log, marks the node ready and starts the checkpoint, sweep and heartbeat loops.
    /// Runs as the silo becomes active, or — <see cref="IngestStartMode.AfterHost"/> — when the
    /// host calls it after the silo started, while its HTTP server starts.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Replay must score with the cluster's active scorecard version, not the file's.
        await scorecards.SyncAsync(grains, initialize: true);
        // Read before anything of this start can begin a rebuild: one cut short by the last stop.
        bool rebuildInterrupted = await metricsRebuilder.WasInterruptedAsync();
        long checkpoint = await log.GetCheckpointAsync(cancellationToken);
        watermark.Reset(checkpoint);
        var started = time.GetTimestamp();
        var (entries, replayed) = await ingestor.ReplayLogAsync(checkpoint, cancellationToken);
        watermark.Reset(log.LastSequence);
        if (entries > 0)
        {
            logger.LogInformation(
                "Recovered {Entries} ingest log entries past checkpoint {Checkpoint}: {Applied} signals re-applied in {Elapsed}",
                entries, checkpoint, replayed, time.GetElapsedTime(started));
            // The replayed state is checkpointed in the background: readiness does not wait for it.
            // That is an ordinary checkpoint racing ordinary ingest (the watermark it reads covers
            // the replay; the log keeps every entry until a checkpoint covering it completed), so a
            // crash during or after it replays exactly as before.
            _recoveryCheckpoint = Task.Run(() => CheckpointAfterReplayAsync(entries), CancellationToken.None);
        }
        else
        {
            _recoveryCheckpoint = Task.CompletedTask;
            if (rebuildInterrupted)
            {
                metricsRebuilder.Request("the last one was cut short by a stop");
            }
        }
        if (orphans is not null)
        {
            // Cluster mode: say this log is alive, then replay the logs of nodes that died
            // while nobody was left to adopt them (a whole-cluster restart) before taking traffic.
            await orphans.HeartbeatAsync();
            int adopted = await orphans.AdoptOrphansAsync(cancellationToken);
            if (adopted > 0)
            {
                logger.LogInformation("Adopted {Logs} orphaned ingest logs before start", adopted);
            }
        }
        readiness.MarkReady();
        await ResumeRescoreAsync();

        _stop = new CancellationTokenSource();
        _loop = Task.Run(() => LoopAsync(_stop.Token), CancellationToken.None);
        _sweeps = Task.Run(() => sweeper.RunAsync(_stop.Token), CancellationToken.None);
        if (orphans is not null)
        {
            _heartbeats = Task.Run(() => orphans.RunAsync(_stop.Token), CancellationToken.None);
        }
    }

    /// <summary>
    /// Completes when the checkpoint after the start-up replay has finished (at once when nothing
    /// was replayed; null before the start). It never faults: a failed one is logged and the
    /// periodic checkpoint covers its accounts.
    /// </summary>
    public Task? RecoveryCheckpoint => _recoveryCheckpoint;

    private async Task CheckpointAfterReplayAsync(long entries)
    {
        // Entries were replayed: accounts and metrics shards were not written together, so
        // the portfolio sums may have drifted. Rebuild them, in the background — recorded before
        // the checkpoint below drops the replayed entries, so a stop meanwhile cannot lose it.
        await metricsRebuilder.RequestRecordedAsync("ingest log replayed at start");
        var started = time.GetTimestamp();
        try
        {
            long through = await checkpointer.CheckpointAsync(CancellationToken.None);
            logger.LogInformation(
                "Checkpointed the {Entries} replayed log entries through {Sequence} in {Elapsed}",
                entries, through, time.GetElapsedTime(started));
        }
        catch (Exception ex)
        {
            // Its accounts are dirty again (or were written): the next periodic checkpoint covers them.
            logger.LogError(ex, "The checkpoint after the replay failed; the log keeps everything since the last one");
        }
    }

    /// <summary>A re-score cut short by a stop or crash carries on at the next start.</summary>
    private async Task ResumeRescoreAsync()
    {
        try
        {
            var progress = await grains.GetGrain<Contracts.Scorecards.IScorecardGrain>(0).GetProgress();
            if (progress is { Finished: false } p && p.Version == scorecards.Current.Version)
            {
                logger.LogInformation("Resuming the re-score with scorecard v{Version}", p.Version);
                _ = rescorer.RunAsync(p.Version);
            }
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not check for an unfinished re-score");
        }
    }

    private async Task LoopAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(options.Value.Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                try
                {
                    // Spread over half the interval (at most 5 s): no burst of writes in front of live deltas.
                    await checkpointer.CheckpointAsync(stop, Checkpointer.PacingFor(options.Value.Interval));
                    // Follow scorecard versions activated through another node.
                    await scorecards.SyncAsync(grains);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogError(ex, "Checkpoint failed; the log keeps everything since the last one");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await StopIngestAsync();
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    private async Task StopIngestAsync()
    {
        readiness.MarkStopping();
        if (_stop is not null)
        {
            await _stop.CancelAsync();
            foreach (var background in new[] { _recoveryCheckpoint, _loop, _sweeps, _heartbeats })
            {
                try
                {
                    if (background is not null)
                    {
                        await background;
                    }
                }
                catch (Exception ex)
                {
                    // Whatever ended a background loop, the final checkpoint below must still run.
                    logger.LogWarning(ex, "A background loop ended with an error");
                }
            }
        }
        // Not against a stopping silo: a running rebuild ends here and runs again at the next start.
        await metricsRebuilder.StopAsync();
        try
        {
            long through = await checkpointer.CheckpointAsync(CancellationToken.None);
            logger.LogInformation("Final checkpoint written");
            if (log is RedisIngestLog shared && through >= shared.LastSequence)
            {
                // Everything this node logged is in checkpointed state: nothing for others to adopt.
                await shared.DeleteAsync();
            }
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Final checkpoint failed; the log will be replayed at the next start");
        }
    }
}

/// <summary>When the ingest start (log replay, then readiness) runs.</summary>
public enum IngestStartMode
{
    /// <summary>In the silo's Active stage: the silo's start includes the replay (silo-only hosts, tests).</summary>
    WithSilo,

    /// <summary>
    /// Called by the host once the silo started, while its HTTP server starts (<see cref="IngestLifecycle.StartAsync"/>):
    /// during a long replay the server already answers — health probes with 503 "starting" and
    /// every other request with 503 and Retry-After — instead of refusing connections.
    /// </summary>
    AfterHost,
}

/// <summary>Whether this node has replayed its log and accepts traffic.</summary>
public sealed class IngestReadiness
{
    private volatile int _state; // 0 starting, 1 ready, 2 stopping
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the node first becomes ready.</summary>
    public Task WhenReady => _ready.Task;

    public bool IsReady => _state == 1;

    public bool IsStopping => _state == 2;

    /// <summary>Neither ready nor stopping: the silo is starting or the log is being replayed.</summary>
    public bool IsStarting => _state == 0;

    public void MarkReady()
    {
        _state = 1;
        _ready.TrySetResult();
    }

    public void MarkStopping() => _state = 2;
}
