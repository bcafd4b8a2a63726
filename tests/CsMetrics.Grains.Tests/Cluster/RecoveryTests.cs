using CsMetrics.Grains.Tests.Support;
using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Signals;
using CsMetrics.Grains.Accounts;
using CsMetrics.Grains.Checkpoints;
using CsMetrics.Grains.Ingest;
using CsMetrics.Scoring.Signals;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;
using static CsMetrics.Grains.Tests.Cluster.Sig;

namespace CsMetrics.Grains.Tests.Cluster;

/// <summary>
/// Recovery in the embedded (production) configuration: SQLite grain state and ingest log in one
/// data directory, restarted between phases. Each test runs its own one-silo cluster.
/// </summary>
public sealed class RecoveryTests : IAsyncLifetime
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "csm-recovery-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 6, 2, 12, 0, 0, TimeSpan.Zero));

    private string LogPath => Path.Combine(_dataDir, "ingest-log.db");

    private Task<InProcessTestCluster> Start() => ClusterFixture.StartEmbeddedAsync(_dataDir, _time);

    private static T Service<T>(InProcessTestCluster cluster) where T : notnull => cluster.Silos[0].ServiceProvider.GetRequiredService<T>();

    /// <summary>The checkpoint after the start-up replay runs in the background; this waits for it (bounded).</summary>
    private static Task RecoveryCheckpointed(InProcessTestCluster cluster) =>
        Service<IngestLifecycle>(cluster).RecoveryCheckpoint!.WaitAsync(TimeSpan.FromSeconds(30));

    private static async Task<int> CountEntries(IIngestLog log)
    {
        int n = 0;
        await foreach (var _ in log.ReadAfterAsync(0))
        {
            n++;
        }
        return n;
    }

    [Fact]
    public async Task An_account_checkpointed_long_after_its_last_apply_deactivates_without_a_write()
    {
        // A graceful stop or memory shedding deactivates every resident account: those whose
        // last apply was checkpointed (and its mark verified) long ago have nothing to hand off
        // and must not each cost a write. (Its own cluster: the clock jumps.)
        await using var cluster = await Start();
        var ingestor = Service<SignalIngestor>(cluster);
        var checkpointer = Service<Checkpointer>(cluster);
        string recent = NewAccount("handoff"), old = NewAccount("handoff");
        await ingestor.IngestAsync([Usage(old, "u1", _time.GetUtcNow(), "alice")]);
        await checkpointer.CheckpointAsync();
        _time.Advance(AccountGrain.HandOffWindow(new CheckpointOptions().Interval) + TimeSpan.FromSeconds(1));
        await ingestor.IngestAsync([Usage(recent, "u1", _time.GetUtcNow(), "alice")]);
        await checkpointer.CheckpointAsync();

        await cluster.DeactivateAsync(cluster.Client.GetGrain<IAccountGrain>(old));
        await cluster.DeactivateAsync(cluster.Client.GetGrain<IAccountGrain>(recent));

        Assert.Empty((await StoredAsync(cluster, old)).HandedOff); // not written again
        Assert.Single((await StoredAsync(cluster, recent)).HandedOff); // its mark might still be on its way
    }

    [Fact]
    public async Task An_account_whose_apply_no_checkpoint_verified_yet_hands_off_however_long_ago_it_was()
    {
        // Checkpoint rounds fall behind on a node short of memory. An account written since its
        // last apply (here by an override; under load, by a round that drained an earlier mark)
        // and deactivated past the hand-off window must still hand off while its apply's mark is
        // unverified, or the round that gets to it finds a state without its entries and
        // replays the log. (Its own cluster: the clock jumps.)
        await using var cluster = await Start();
        var ingestor = Service<SignalIngestor>(cluster);
        var checkpointer = Service<Checkpointer>(cluster);
        var log = Service<IIngestLog>(cluster);
        string acc = NewAccount("unverified");
        var grain = cluster.Client.GetGrain<IAccountGrain>(acc);
        await ingestor.IngestAsync([Usage(acc, "u1", _time.GetUtcNow(), "alice")]);
        await grain.SetOverride(new ScoreOverride("green", null, "renewal signed", _time.GetUtcNow().AddDays(7), "csm-ann"));
        _time.Advance(AccountGrain.HandOffWindow(new CheckpointOptions().Interval) + TimeSpan.FromSeconds(1));
        await cluster.DeactivateAsync(grain);

        Assert.Single((await StoredAsync(cluster, acc)).HandedOff);
        Assert.Equal(log.LastSequence, await checkpointer.CheckpointAsync());
        Assert.Equal(log.LastSequence, await log.GetCheckpointAsync()); // checked out: no replay
    }

    [Fact]
    public async Task A_checkpoint_after_an_account_handed_off_its_state_does_not_activate_it_again()
    {
        // Shedding deactivates accounts to free memory; a checkpoint that called each of them to
        // ask what its state holds would read them all back in. An account that wrote its state
        // as it went answers for itself (DirtyAccounts.HandedOff); one that came back is asked.
        await using var cluster = await Start();
        var ingestor = Service<SignalIngestor>(cluster);
        var checkpointer = Service<Checkpointer>(cluster);
        var log = Service<IIngestLog>(cluster);
        var management = cluster.Client.GetGrain<IManagementGrain>(0);
        string gone = NewAccount("handoff"), back = NewAccount("handoff");
        await ingestor.IngestAsync([Usage(gone, "u1", _time.GetUtcNow(), "alice"), Usage(back, "u1", _time.GetUtcNow(), "alice")]);
        var goneGrain = cluster.Client.GetGrain<IAccountGrain>(gone);
        var backGrain = cluster.Client.GetGrain<IAccountGrain>(back);
        await backGrain.SetOverride(new ScoreOverride("green", null, "renewal signed", _time.GetUtcNow().AddSeconds(1), "csm-ann"));
        await cluster.DeactivateAsync(goneGrain);
        await cluster.DeactivateAsync(backGrain);
        Assert.Equal(0, await management.GetGrainActivationCount((GrainReference)goneGrain));
        // Back again: the lapsed override is lifted in memory, to be written by the checkpoint,
        // which must therefore ask this activation instead of trusting the earlier hand-off.
        // (Less than a checkpoint interval: no periodic round in between ages the hand-off out.)
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(await backGrain.Reevaluate());
        Assert.NotNull((await StoredAsync(cluster, back)).Override); // lifted in memory only, so far

        Assert.Equal(log.LastSequence, await checkpointer.CheckpointAsync());
        Assert.Equal(log.LastSequence, await log.GetCheckpointAsync()); // checked out: nothing to replay
        Assert.Equal(0, await management.GetGrainActivationCount((GrainReference)goneGrain));
        Assert.Single((await StoredAsync(cluster, gone)).HandedOff);
        Assert.Null((await StoredAsync(cluster, back)).Override);
        Assert.Equal(1, (await goneGrain.GetView())!.SignalCounts.Usage);
    }

    private static async Task<AccountGrainState> StoredAsync(InProcessTestCluster cluster, string accountId)
    {
        var storage = cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<Orleans.Storage.IGrainStorage>(StorageNames.Accounts);
        var state = new GrainState<AccountGrainState>();
        await storage.ReadStateAsync("account", cluster.Client.GetGrain<IAccountGrain>(accountId).GetGrainId(), state);
        Assert.True(state.RecordExists, $"{accountId} has no stored state");
        return state.State!;
    }

    [Fact]
    public async Task Start_replays_log_entries_past_the_checkpoint_once_and_a_clean_stop_leaves_nothing_to_replay()
    {
        string x = NewAccount("x"), y = NewAccount("y");
        var now = _time.GetUtcNow();

        // Acknowledged entries that never reached a checkpoint (the process died). The second one
        // repeats an id of the first, as a producer retry would.
        Directory.CreateDirectory(_dataDir);
        await using (var log = new SqliteIngestLog(LogPath))
        {
            await log.AppendAsync(SignalCodec.Encode([
                Usage(x, "u1", now, "alice", "reports.export"),
                Usage(x, "u2", now, "bob", "api.call"),
                Ticket(y, "t1", now, "T-1", TicketStatus.Opened, TicketPriority.Urgent)]));
            await log.AppendAsync(SignalCodec.Encode([
                Usage(x, "u1", now, "alice", "reports.export"),
                Survey(x, "s1", now, SurveyKind.Nps, 10, "r1")]));
        }

        await using (var cluster = await Start())
        {
            var xView = (await cluster.Client.GetGrain<IAccountGrain>(x).GetView())!;
            Assert.Equal(new SignalCounts(2, 0, 1, 0), xView.SignalCounts);
            // Engagement 100, adoption 50, sentiment (NPS 100) 100: (3000 + 1000 + 1500) / 65.
            Assert.Equal(84.6, xView.Health.Score);
            var yView = (await cluster.Client.GetGrain<IAccountGrain>(y).GetView())!;
            Assert.Equal(1, yView.SignalCounts.Ticket);
            Assert.Equal(40, yView.Health.Score);

            // Recovery ends with a checkpoint (in the background): the replayed entries are gone from the log.
            await RecoveryCheckpointed(cluster);
            var log = Service<IIngestLog>(cluster);
            Assert.Equal(2, await log.GetCheckpointAsync());
            Assert.Equal(0, await CountEntries(log));
            Assert.Equal(2, Service<AppliedWatermark>(cluster).Through);
            Assert.True(Service<IngestReadiness>(cluster).IsReady);

            // Applied, not checkpointed: the clean stop's final checkpoint covers it.
            var result = await Service<SignalIngestor>(cluster).IngestAsync([Revenue(x, "m1", now, 900m)]);
            Assert.Equal(new IngestResult(1, 0), result);
            Assert.Equal(3, log.LastSequence);
            await cluster.StopAllSilosAsync();
        }

        await using (var log = new SqliteIngestLog(LogPath))
        {
            Assert.Equal(3, await log.GetCheckpointAsync());
            Assert.Equal(0, await CountEntries(log));
        }

        await using (var restarted = await Start())
        {
            var grain = restarted.Client.GetGrain<IAccountGrain>(x);
            var view = (await grain.GetView())!;
            Assert.Equal(new SignalCounts(2, 0, 1, 1), view.SignalCounts);
            Assert.Equal(75, view.Component("revenue").Score);
            Assert.Equal("m1", view.Health.Explanation!.SignalId);
            // Dedup memory came back with the state.
            Assert.Equal((0, 2), ApplyCounts.Of(await grain.Apply(Batch(
                Usage(x, "u1", now, "alice", "reports.export"),
                Revenue(x, "m1", now, 900m)))));
            // Sequence numbers continue after the checkpoint.
            var more = await Service<SignalIngestor>(restarted).IngestAsync([Usage(x, "u9", now)]);
            Assert.Equal(new IngestResult(1, 0), more);
            Assert.Equal(4, Service<IIngestLog>(restarted).LastSequence);
        }
    }

    [Fact]
    public async Task Replaying_entries_whose_accounts_were_already_written_counts_nothing_twice()
    {
        string x = NewAccount("x");
        var now = _time.GetUtcNow();
        Signal[] first = [Usage(x, "u1", now, "alice"), Ticket(x, "t1", now, "T-1", TicketStatus.Opened)];

        await using (var cluster = await Start())
        {
            Assert.Equal(new IngestResult(2, 0), await Service<SignalIngestor>(cluster).IngestAsync(first));
            await cluster.StopAllSilosAsync();
        }

        // As if the checkpoint had written the account but died before moving the log: the entry
        // is still there (here: logged again) and a new one follows it.
        await using (var log = new SqliteIngestLog(LogPath))
        {
            await log.AppendAsync(SignalCodec.Encode(first));
            await log.AppendAsync(SignalCodec.Encode([Ticket(x, "t2", now, "T-1", TicketStatus.Solved)]));
        }

        await using var restarted = await Start();
        var view = (await restarted.Client.GetGrain<IAccountGrain>(x).GetView())!;
        Assert.Equal(new SignalCounts(1, 2, 0, 0), view.SignalCounts);
        Assert.Equal(100, view.Component("support").Score);
        await RecoveryCheckpointed(restarted);
        Assert.Equal(3, await Service<IIngestLog>(restarted).GetCheckpointAsync());
    }

    [Fact]
    public async Task Start_after_a_crash_rebuilds_drifted_portfolio_metrics_in_the_background()
    {
        string x = NewAccount("x"), owner = NewAccount("owner");
        var now = _time.GetUtcNow();

        await using (var cluster = await Start())
        {
            // Drift, saved with the clean stop: 1 account and 8 seats more.
            await AddDriftedAccountAsync(cluster, x, owner, now, seats: 8);
            Assert.Equal((2L, 13L, 400m), await ShardFiguresAsync(cluster, x, owner));
            await cluster.StopAllSilosAsync();
        }

        // An acknowledged entry past the checkpoint: the start replays it, then rebuilds.
        await using (var log = new SqliteIngestLog(LogPath))
        {
            await log.AppendAsync(SignalCodec.Encode([Revenue(x, "m2", now.AddDays(-1), 450m)]));
        }

        await using var restarted = await Start();
        // The rebuild is recorded before the replay's checkpoint and runs in the background.
        await RecoveryCheckpointed(restarted);
        await Service<Grains.Metrics.MetricsRebuilder>(restarted).WhenIdleAsync();
        var status = await restarted.Client.GetGrain<Contracts.Metrics.IMetricsEpochGrain>(0).Status();
        Assert.Equal((1L, false, 1, 1), (status.Epoch, status.Rebuilding, status.Done, status.Total));
        Assert.Equal(1L, await restarted.Client.GetGrain<Contracts.Metrics.IMetricsShard>(Contracts.Metrics.MetricsShards.ShardOf(x)).GetEpoch());
        Assert.Equal((1L, 5L, 450m), await ShardFiguresAsync(restarted, x, owner));
    }

    [Fact]
    public async Task A_rebuild_asked_for_while_the_node_stops_is_recorded_and_the_next_start_runs_it()
    {
        string x = NewAccount("x"), owner = NewAccount("owner");
        var now = _time.GetUtcNow();

        await using (var cluster = await Start())
        {
            await AddDriftedAccountAsync(cluster, x, owner, now, seats: 0);
            Assert.Equal((2L, 5L, 400m), await ShardFiguresAsync(cluster, x, owner));

            // The node is stopping (as the silo's stop does first): a rebuild is not run against
            // it but recorded as due, and nothing in this process runs it.
            var rebuilder = Service<Grains.Metrics.MetricsRebuilder>(cluster);
            await rebuilder.StopAsync();
            var start = await rebuilder.RequestAsync("test: while stopping");
            Assert.True(start.Queued);
            await rebuilder.WhenIdleAsync();
            var recorded = await cluster.Client.GetGrain<Contracts.Metrics.IMetricsEpochGrain>(0).Status();
            Assert.Equal((start.Epoch, true, 0), (recorded.Epoch, recorded.Rebuilding, recorded.Done));
            Assert.Equal((2L, 5L, 400m), await ShardFiguresAsync(cluster, x, owner));
            await cluster.StopAllSilosAsync();
        }

        // Nothing to replay: the start runs the recorded rebuild because the epoch says it never finished.
        await using var restarted = await Start();
        await Service<Grains.Metrics.MetricsRebuilder>(restarted).WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var status = await restarted.Client.GetGrain<Contracts.Metrics.IMetricsEpochGrain>(0).Status();
        Assert.Equal((2L, false, 1, 1), (status.Epoch, status.Rebuilding, status.Done, status.Total));
        Assert.Equal((1L, 5L, 400m), await ShardFiguresAsync(restarted, x, owner));
    }

    [Fact]
    public async Task A_rebuild_cut_short_by_the_silo_stop_is_finished_by_the_next_start()
    {
        var now = _time.GetUtcNow();
        string owner = NewAccount("owner");
        var accounts = Enumerable.Range(0, 3_000).Select(i => NewAccount($"r{i}")).ToArray();
        await using (var cluster = await Start())
        {
            Assert.Equal(new IngestResult(accounts.Length, 0),
                await Service<SignalIngestor>(cluster).IngestAsync(accounts.Select(a => Revenue(a, "m1", now.AddDays(-3), 10m)).ToArray()));
            await Task.WhenAll(accounts.Select(a => cluster.Client.GetGrain<IAccountGrain>(a).Register(new AccountProfile(a, owner, "smb", 1, null))));
            var indexShards = Enumerable.Range(0, Contracts.Index.AccountIndex.ShardCount).Select(s => cluster.Client.GetGrain<Contracts.Index.IAccountIndexShard>(s));
            await Poll.Until(async () => (await Task.WhenAll(indexShards.Select(s => s.AccountIds()))).Sum(ids => ids.Length), n => n == accounts.Length);
            var rebuilder = Service<Grains.Metrics.MetricsRebuilder>(cluster);
            await rebuilder.RequestAsync("test: the silo stops during it");
            await cluster.StopAllSilosAsync();
        }

        // Whether the stop cut the run short or not, the next start leaves a finished epoch that
        // counts every account (a cut-short run stays "rebuilding" and is run again).
        await using var restarted = await Start();
        await Service<Grains.Metrics.MetricsRebuilder>(restarted).WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var status = await restarted.Client.GetGrain<Contracts.Metrics.IMetricsEpochGrain>(0).Status();
        Assert.Equal((false, accounts.Length), (status.Rebuilding, status.Done));
    }

    [Fact]
    public async Task Start_is_ready_before_the_replay_is_checkpointed_and_the_log_keeps_the_replayed_entries_until_it_is()
    {
        string x = NewAccount("x");
        var now = _time.GetUtcNow();
        Directory.CreateDirectory(_dataDir);
        await using (var writer = new SqliteIngestLog(LogPath))
        {
            await writer.AppendAsync(SignalCodec.Encode([Usage(x, "u1", now, "alice"), Usage(x, "u2", now, "bob")]));
            await writer.AppendAsync(SignalCodec.Encode([Usage(x, "u1", now, "alice"), Survey(x, "s1", now, SurveyKind.Nps, 10, "r1")]));
        }

        // The log holds every checkpoint until the test lets it through.
        var gate = new CheckpointGate();
        var starting = ClusterFixture.StartEmbeddedAsync(_dataDir, _time, silo =>
            silo.Services.AddSingleton<IIngestLog>(_ => new GatedLog(new SqliteIngestLog(LogPath), gate)));
        InProcessTestCluster started;
        try
        {
            // The start completes while the replay's checkpoint is held.
            started = await starting.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            gate.Release();
            await (await starting).DisposeAsync();
            throw;
        }
        await using var cluster = started;
        var lifecycle = Service<IngestLifecycle>(cluster);
        var log = Service<IIngestLog>(cluster);
        try
        {
            await gate.Requested.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(Service<IngestReadiness>(cluster).IsReady);
            Assert.False(lifecycle.RecoveryCheckpoint!.IsCompleted);
            Assert.Equal(new SignalCounts(2, 0, 1, 0), (await cluster.Client.GetGrain<IAccountGrain>(x).GetView())!.SignalCounts);
            // Ingest goes on meanwhile.
            Assert.Equal(new IngestResult(1, 0), await Service<SignalIngestor>(cluster).IngestAsync([Usage(x, "u3", now)]));
            // A crash now would find every replayed entry still in the durable log, past the old checkpoint.
            Assert.Equal(0, await log.GetCheckpointAsync());
            Assert.Equal(3, await CountEntries(log));
        }
        finally
        {
            gate.Release();
        }

        await lifecycle.RecoveryCheckpoint.WaitAsync(TimeSpan.FromSeconds(30));
        // The checkpoint covers the replay, read as the watermark before its writes began: the
        // entry ingested meanwhile stays in the log for the next one.
        Assert.Equal(2, await log.GetCheckpointAsync());
        Assert.Equal(1, await CountEntries(log));
        Assert.Equal(3, (await cluster.Client.GetGrain<IAccountGrain>(x).GetView())!.SignalCounts.Usage);
    }

    private sealed class CheckpointGate
    {
        private readonly TaskCompletionSource _requested = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes when a checkpoint reached the log.</summary>
        public Task Requested => _requested.Task;

        public void Release() => _released.TrySetResult();

        public Task PassAsync(CancellationToken cancellationToken)
        {
            _requested.TrySetResult();
            return _released.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>An ingest log whose checkpoints wait at <paramref name="gate"/>.</summary>
    private sealed class GatedLog(IIngestLog inner, CheckpointGate gate) : IIngestLog
    {
        public string Name => inner.Name;

        public long LastSequence => inner.LastSequence;

        public ValueTask<long> AppendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) => inner.AppendAsync(payload, cancellationToken);

        public IAsyncEnumerable<IngestLogEntry> ReadAfterAsync(long afterSeq, CancellationToken cancellationToken = default) => inner.ReadAfterAsync(afterSeq, cancellationToken);

        public ValueTask<long> GetCheckpointAsync(CancellationToken cancellationToken = default) => inner.GetCheckpointAsync(cancellationToken);

        public async ValueTask SetCheckpointAsync(long seq, CancellationToken cancellationToken = default)
        {
            await gate.PassAsync(cancellationToken);
            await inner.SetCheckpointAsync(seq, cancellationToken);
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    /// <summary>
    /// An account with 5 seats and MRR 400 whose shard also counts a delta nobody sent (as a
    /// delta sent twice around a crash would): one account and <paramref name="seats"/> seats more.
    /// </summary>
    private static async Task AddDriftedAccountAsync(InProcessTestCluster cluster, string account, string owner, DateTimeOffset now, int seats)
    {
        await cluster.Client.GetGrain<IAccountGrain>(account).Register(new AccountProfile(account, owner, "smb", 5, null));
        Assert.Equal(new IngestResult(1, 0), await Service<SignalIngestor>(cluster).IngestAsync([Revenue(account, "m1", now.AddDays(-3), 400m)]));
        var shard = cluster.Client.GetGrain<Contracts.Metrics.IMetricsShard>(Contracts.Metrics.MetricsShards.ShardOf(account));
        var bogus = new Dictionary<Scoring.Metrics.FactKey, decimal> { [new(Scoring.Metrics.FactKind.Account, 0)] = 1 };
        if (seats > 0)
        {
            bogus[new(Scoring.Metrics.FactKind.Seats, 0)] = seats;
        }
        await shard.Add("smb", owner, Scoring.Metrics.MetricFacts.Encode(bogus), await shard.GetEpoch());
    }

    /// <summary>The owner's portfolio figures of the last 30 days in the account's metrics shard.</summary>
    private async Task<(long Accounts, long Seats, decimal MrrEnd)> ShardFiguresAsync(InProcessTestCluster cluster, string account, string owner)
    {
        int day = DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime).DayNumber;
        var shard = cluster.Client.GetGrain<Contracts.Metrics.IMetricsShard>(Contracts.Metrics.MetricsShards.ShardOf(account));
        return Figures(await shard.Query(new Contracts.Metrics.MetricsQuery(day - 30, day, null, owner)), owner);
    }

    private static (long Accounts, long Seats, decimal MrrEnd) Figures(byte[] facts, string owner)
    {
        var r = Scoring.Metrics.MetricsCalculator.Compute(Scoring.Metrics.PeriodFacts.FromBytes(facts), null, null, owner);
        return (r.Accounts, r.Engagement.Seats, r.Revenue.MrrEnd);
    }

    [Theory]
    [InlineData(6_000)] // one window: the hot account's 5,412 signals go to its grain in two calls
    [InlineData(1_000)] // a window every two or three entries: the hot account's signals cross windows
    public async Task Replay_applies_each_accounts_signals_in_log_order_across_windows_and_calls(int windowSignals)
    {
        string hot = NewAccount("hot"), a = NewAccount("a"), owner = NewAccount("owner");
        var now = _time.GetUtcNow();
        await using var cluster = await Start();
        foreach (var id in new[] { hot, a })
        {
            await cluster.Client.GetGrain<IAccountGrain>(id).Register(new AccountProfile(id, owner, "smb", 5, null));
        }

        // Logged but never applied (as if the silo died right after acknowledging): 12 entries of
        // 451+ signals. The hot account's MRR rises entry by entry (the last in log order must win),
        // account a's ticket opens in the first entry and is solved in the last, and entry 5 is a
        // producer's retry of entry 2.
        var entries = new List<Signal[]>();
        for (int e = 0; e < 12; e++)
        {
            int source = e == 5 ? 2 : e;
            var signals = Enumerable.Range(0, 450).Select(u => Usage(hot, $"u{source}-{u}", now, $"user{u % 7}", "reports.export")).ToList();
            signals.Add(Revenue(hot, $"m{source}", now, 100m * (source + 1)));
            if (e is 0 or 11)
            {
                signals.Add(Ticket(a, $"t{e}", now, "T-1", e == 0 ? TicketStatus.Opened : TicketStatus.Solved));
            }
            entries.Add([.. signals]);
        }
        var log = Service<IIngestLog>(cluster);
        foreach (var entry in entries)
        {
            await log.AppendAsync(SignalCodec.Encode(entry));
        }

        var ingestor = Service<SignalIngestor>(cluster);
        ingestor.ReplayWindowSignals = windowSignals;
        var (replayed, applied) = await ingestor.ReplayLogAsync(0);

        Assert.Equal((12L, 11 * 451L + 2), (replayed, applied));
        Assert.Equal(12, Service<AppliedWatermark>(cluster).Through);
        var hotView = (await cluster.Client.GetGrain<IAccountGrain>(hot).GetView())!;
        Assert.Equal(new SignalCounts(11 * 450, 0, 0, 11), hotView.SignalCounts);
        // The last 20 signals it remembers are the last 20 of the log, whatever the windows and calls.
        var lastInLog = entries.SelectMany(e => e).Where(s => s.AccountId == hot).Select(s => s.Id).TakeLast(20);
        Assert.Equal(lastInLog.Order(StringComparer.Ordinal), hotView.RecentSignals.Select(s => s.Id).Order(StringComparer.Ordinal));
        var aView = (await cluster.Client.GetGrain<IAccountGrain>(a).GetView())!;
        Assert.Equal(2, aView.SignalCounts.Ticket);
        Assert.Equal(100, aView.Component("support").Score); // solved after opened: nothing open

        // Listings reach the index with the grains' scores.
        var listed = await Poll.Until(
            async () => (await AccountIndexTests.QueryAll(cluster.Client, new Contracts.Index.IndexQuery(owner, null, null, 10))).Entries,
            l => l.Count == 2 && l.All(e => e.Score is not null));
        Assert.Equal(hotView.Health.Score, listed.Single(e => e.AccountId == hot).Score);
        Assert.Equal(aView.Health.Score, listed.Single(e => e.AccountId == a).Score);

        // Replayed signals are not published account by account (no MRR in the portfolio yet):
        // the rebuild every replay is followed by republishes them, and the portfolio then shows
        // the last MRR of the log.
        int day = DateOnly.FromDateTime(now.UtcDateTime).DayNumber;
        async Task<(long Accounts, long Seats, decimal MrrEnd)> Portfolio()
        {
            var shards = await Task.WhenAll(new[] { hot, a }.Select(id => Contracts.Metrics.MetricsShards.ShardOf(id)).Distinct()
                .Select(s => cluster.Client.GetGrain<Contracts.Metrics.IMetricsShard>(s).Query(new Contracts.Metrics.MetricsQuery(day - 30, day, null, owner))));
            return shards.Select(f => Figures(f, owner)).Aggregate((x, y) => (x.Accounts + y.Accounts, x.Seats + y.Seats, x.MrrEnd + y.MrrEnd));
        }
        Assert.Equal(0m, (await Portfolio()).MrrEnd);
        var rebuilder = Service<Grains.Metrics.MetricsRebuilder>(cluster);
        await rebuilder.RequestAsync("test: after a replay");
        await rebuilder.WhenIdleAsync();
        Assert.Equal((2L, 10L, 1200m), await Portfolio());
    }

    [Fact]
    public async Task A_paced_checkpoint_spreads_its_writes_and_a_cancelled_one_leaves_every_account_dirty()
    {
        var now = _time.GetUtcNow();
        await using var cluster = await Start();
        var ingestor = Service<SignalIngestor>(cluster);
        var signals = Enumerable.Range(0, 600).Select(i => Usage(NewAccount($"p{i}"), $"u{i}", now)).ToArray();
        Assert.Equal(new IngestResult(600, 0), await ingestor.IngestAsync(signals));
        var checkpointer = Service<Checkpointer>(cluster);
        var dirty = Service<DirtyAccounts>(cluster);
        var log = Service<IIngestLog>(cluster);
        long before = await log.GetCheckpointAsync();
        Assert.True(dirty.Count >= 600);

        // Cancelled while it waits between chunks: nothing is lost, the accounts stay dirty.
        using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => checkpointer.CheckpointAsync(cancel.Token, TimeSpan.FromSeconds(30)));
        }
        Assert.True(dirty.Count >= 600);
        Assert.Equal(before, await log.GetCheckpointAsync());

        // Paced over 1 s: chunks of 256 are due at 256/600 and 512/600 of it, so it cannot end
        // before ~0.85 s; it writes every account and moves the checkpoint like an unpaced one.
        var watch = System.Diagnostics.Stopwatch.StartNew();
        long through = await checkpointer.CheckpointAsync(CancellationToken.None, TimeSpan.FromSeconds(1));
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(0.8), $"took {watch.Elapsed}");
        Assert.Equal(0, dirty.Count);
        Assert.Equal(Service<AppliedWatermark>(cluster).Through, through);
        Assert.Equal(through, await log.GetCheckpointAsync());
        Assert.Equal(TimeSpan.FromSeconds(2.5), Checkpointer.PacingFor(TimeSpan.FromSeconds(5)));
        Assert.Equal(TimeSpan.FromSeconds(5), Checkpointer.PacingFor(TimeSpan.FromHours(10)));
    }

    [Fact]
    public async Task A_checkpoint_never_passes_a_logged_entry_that_is_not_applied_yet()
    {
        string x = NewAccount("x");
        var now = _time.GetUtcNow();
        await using var cluster = await Start();
        var log = Service<IIngestLog>(cluster);
        var ingestor = Service<SignalIngestor>(cluster);
        var checkpointer = Service<Checkpointer>(cluster);

        await ingestor.IngestAsync([Usage(x, "u1", now)]);
        Assert.Equal(1, await checkpointer.CheckpointAsync());

        // Entry 2 is logged (acknowledged) but still on its way to the grain; entry 3 is applied.
        Signal[] inFlight = [Usage(x, "u2", now)];
        long two = await log.AppendAsync(SignalCodec.Encode(inFlight));
        await ingestor.IngestAsync([Usage(x, "u3", now)]);
        Assert.Equal(3, log.LastSequence);

        Assert.Equal(1, await checkpointer.CheckpointAsync());
        Assert.Equal(1, await log.GetCheckpointAsync());
        Assert.Equal(2, await CountEntries(log));

        // Once it lands, the watermark closes the gap and the checkpoint moves over both.
        Assert.Equal(new IngestResult(1, 0), await ingestor.ReplayAsync(inFlight, two));
        Assert.Equal(3, await checkpointer.CheckpointAsync());
        Assert.Equal(3, await log.GetCheckpointAsync());
        Assert.Equal(3, (await cluster.Client.GetGrain<IAccountGrain>(x).GetView())!.SignalCounts.Usage);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => ClusterFixture.StopAndDeleteAsync(null, _dataDir);
}
