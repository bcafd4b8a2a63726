using CsMetrics.Contracts.Accounts;
using CsMetrics.Grains.Accounts;
using CsMetrics.Grains.Checkpoints;
using CsMetrics.Grains.Ingest;
using CsMetrics.Scoring.Aggregates;
using CsMetrics.Scoring.Signals;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using static CsMetrics.Grains.Tests.Cluster.Sig;

namespace CsMetrics.Grains.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class CheckpointTests(ClusterFixture fixture)
{
    /// <summary>The account's state as the storage provider holds it (what a restart would load).</summary>
    public static async Task<AccountGrainState?> Stored(ClusterFixture fixture, string accountId)
    {
        var storage = fixture.Silo(0).GetRequiredKeyedService<IGrainStorage>(StorageNames.Accounts);
        var state = new GrainState<AccountGrainState>();
        await storage.ReadStateAsync("account", fixture.Account(accountId).GetGrainId(), state);
        return state.RecordExists ? state.State : null;
    }

    [Fact]
    public async Task Ingest_logs_and_applies_then_a_checkpoint_writes_the_accounts_and_moves_the_log_to_the_watermark()
    {
        var services = fixture.Silo(0);
        var ingestor = services.GetRequiredService<SignalIngestor>();
        var checkpointer = services.GetRequiredService<Checkpointer>();
        var log = services.GetRequiredService<IIngestLog>();
        var watermark = services.GetRequiredService<AppliedWatermark>();
        var now = fixture.Time.GetUtcNow();

        // Enough accounts that some live on the other silo (checked below): their grains mark
        // that silo's dirty set, yet it is this silo's log that the checkpoint truncates.
        var ids = Enumerable.Range(0, 24).Select(_ => NewAccount("ckpt")).ToArray();
        long before = log.LastSequence;
        var first = await ingestor.IngestAsync(ids.Select((id, i) => Usage(id, $"{id}-u1", now, "alice", "reports.export")).ToArray());
        var second = await ingestor.IngestAsync(ids.SelectMany(id => new[]
        {
            Ticket(id, $"{id}-t1", now, "T-1", TicketStatus.Opened),
            Usage(id, $"{id}-u1", now, "alice", "reports.export"),
        }).ToArray());
        var third = await ingestor.IngestAsync([Survey(ids[0], $"{ids[0]}-s1", now, SurveyKind.Nps, 10, "r1")]);
        Assert.Equal(new IngestResult(ids.Length, 0), first);
        Assert.Equal(new IngestResult(ids.Length, ids.Length), second);

        var grainIds = ids.Select(id => fixture.Account(id).GetGrainId()).ToHashSet();
        var hosts = (await fixture.Client.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics())
            .Where(s => grainIds.Contains(s.GrainId)).Select(s => s.SiloAddress).ToHashSet();
        Assert.Contains(fixture.Cluster.Silos[1].SiloAddress, hosts);
        Assert.Equal(new IngestResult(1, 0), third);

        long last = log.LastSequence;
        Assert.Equal(before + 3, last);
        Assert.Equal(last, watermark.Through);
        Assert.Equal(3, await CountEntries(log, before));

        Assert.Equal(last, await checkpointer.CheckpointAsync());
        Assert.Equal(last, await log.GetCheckpointAsync());
        Assert.Equal(0, await CountEntries(log, 0));

        // Everything at or below the checkpoint is in stored state, whichever silo hosts the account.
        foreach (var id in ids)
        {
            var stored = await Stored(fixture, id);
            Assert.NotNull(stored);
            var aggregates = AccountAggregates.FromBytes(stored.Aggregates);
            Assert.Equal(1, aggregates.SignalCount(SignalType.Usage));
            Assert.Equal(1, aggregates.SignalCount(SignalType.Ticket));
            Assert.Equal(id == ids[0] ? 1 : 0, aggregates.SignalCount(SignalType.Survey));
            Assert.Equal((await fixture.Account(id).GetView())!.Health.Score, stored.Score);
        }

        // Nothing new: a second checkpoint keeps the checkpoint where it is.
        Assert.Equal(last, await checkpointer.CheckpointAsync());
        Assert.Equal(last, await log.GetCheckpointAsync());
    }

    [Fact]
    public async Task A_checkpoint_only_writes_accounts_that_changed_since_the_last_one()
    {
        var services = fixture.Silo(0);
        var ingestor = services.GetRequiredService<SignalIngestor>();
        var checkpointer = services.GetRequiredService<Checkpointer>();
        var now = fixture.Time.GetUtcNow();
        string id = NewAccount("ckpt");

        await ingestor.IngestAsync([Usage(id, "u1", now, "alice")]);
        Assert.Null(await Stored(fixture, id));
        await checkpointer.CheckpointAsync();
        Assert.Equal(1, AccountAggregates.FromBytes((await Stored(fixture, id))!.Aggregates).SignalCount(SignalType.Usage));

        // Applied but not yet checkpointed: the stored state lags until the next checkpoint.
        await ingestor.IngestAsync([Usage(id, "u2", now, "bob")]);
        Assert.Equal(1, AccountAggregates.FromBytes((await Stored(fixture, id))!.Aggregates).SignalCount(SignalType.Usage));
        await checkpointer.CheckpointAsync();
        Assert.Equal(2, AccountAggregates.FromBytes((await Stored(fixture, id))!.Aggregates).SignalCount(SignalType.Usage));
    }

    [Fact]
    public async Task An_account_that_wrote_its_state_when_deactivated_checks_out_without_a_replay()
    {
        // Idle collection or memory-pressure shedding between an apply and the next checkpoint:
        // the deactivation wrote everything that activation applied, so the checkpoint may move
        // past its entries. (A silo that died writes nothing: RecoveryTests cover that replay.)
        var services = fixture.Silo(0);
        var ingestor = services.GetRequiredService<SignalIngestor>();
        var checkpointer = services.GetRequiredService<Checkpointer>();
        var log = services.GetRequiredService<IIngestLog>();
        var now = fixture.Time.GetUtcNow();
        var ids = Enumerable.Range(0, 8).Select(_ => NewAccount("handoff")).ToArray();
        await checkpointer.CheckpointAsync();

        await ingestor.IngestAsync(ids.Select(id => Usage(id, $"{id}-u1", now, "alice")).ToArray());
        // One written before it went (a checkpoint's write racing the mark): it still hands off.
        await fixture.Account(ids[1]).Checkpoint();
        foreach (var id in ids.Take(4))
        {
            await fixture.Cluster.DeactivateAsync(fixture.Account(id));
        }
        // One account twice: deactivated, applied again by the next activation, deactivated again.
        await ingestor.IngestAsync([Usage(ids[0], $"{ids[0]}-u2", now, "bob")]);
        await fixture.Cluster.DeactivateAsync(fixture.Account(ids[0]));
        long last = log.LastSequence;

        Assert.Equal(last, await checkpointer.CheckpointAsync());
        Assert.Equal(last, await log.GetCheckpointAsync());
        Assert.Equal(0, await CountEntries(log, last));
        Assert.Equal(2, AccountAggregates.FromBytes((await Stored(fixture, ids[0]))!.Aggregates).SignalCount(SignalType.Usage));
        foreach (var id in ids.Skip(1))
        {
            Assert.Equal(1, AccountAggregates.FromBytes((await Stored(fixture, id))!.Aggregates).SignalCount(SignalType.Usage));
        }
    }

    private static async Task<int> CountEntries(IIngestLog log, long after)
    {
        int n = 0;
        await foreach (var _ in log.ReadAfterAsync(after))
        {
            n++;
        }
        return n;
    }
}
