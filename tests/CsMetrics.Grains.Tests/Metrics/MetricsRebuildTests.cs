using System.Text.Json;
using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Index;
using CsMetrics.Contracts.Metrics;
using CsMetrics.Contracts.Signals;
using CsMetrics.Grains.Metrics;
using CsMetrics.Grains.Tests.Cluster;
using CsMetrics.Scoring.Metrics;
using CsMetrics.Scoring.Signals;
using Microsoft.Extensions.DependencyInjection;

namespace CsMetrics.Grains.Tests.Metrics;

/// <summary>
/// The portfolio metrics rebuild (docs/metrics.md, "Consistency and rebuild"): drifted shard
/// sums are repaired from the accounts, and the epoch rule keeps deltas of an older epoch out.
/// Each test ends with a full rebuild, so the shared cluster is consistent again afterwards.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class MetricsRebuildTests(ClusterFixture fixture)
{
    private static readonly DateOnly From = new(2021, 1, 1), To = new(2025, 6, 1);

    private MetricsRebuilder Rebuilder => fixture.Silo(0).GetRequiredService<MetricsRebuilder>();

    [Fact]
    public async Task A_rebuild_repairs_drifted_shards_to_the_sum_over_accounts()
    {
        string owner = "rb-" + Guid.NewGuid().ToString("N");
        var accounts = await CreateAccountsAsync(owner, 24, seed: 5);
        var slow = await SlowWayAsync(accounts);
        Assert.Equal(Json(slow), Json(await PortfolioAsync(owner)));
        Assert.Equal(24, slow.Accounts);

        // Drift on purpose: a delta counted twice (a bogus extra account with 7 seats in the
        // shard of the first account) and a whole shard's sums lost (moved past everyone's epoch).
        var first = fixture.Client.GetGrain<IMetricsShard>(MetricsShards.ShardOf(accounts[0]));
        var bogus = new Dictionary<FactKey, decimal> { [new FactKey(FactKind.Account, 0)] = 1, [new FactKey(FactKind.Seats, 0)] = 7 };
        await first.Add("smb", owner, MetricFacts.Encode(bogus), await first.GetEpoch());
        int lostShard = Enumerable.Range(0, MetricsShards.Count).First(s => s != MetricsShards.ShardOf(accounts[0]) && accounts.Any(a => MetricsShards.ShardOf(a) == s));
        int lostAccounts = accounts.Count(a => MetricsShards.ShardOf(a) == lostShard);
        var lost = fixture.Client.GetGrain<IMetricsShard>(lostShard);
        await lost.Reset(await lost.GetEpoch() + 1);

        var drifted = await PortfolioAsync(owner);
        Assert.Equal(24 + 1 - lostAccounts, drifted.Accounts);
        Assert.NotEqual(Json(slow), Json(drifted));

        var start = await Rebuilder.RequestAsync("test");
        Assert.False(start.Queued);
        // Above the epoch of the shard that was moved by hand, or its reset would do nothing.
        Assert.True(start.Epoch > await lost.GetEpoch() - 1);
        await Rebuilder.WhenIdleAsync();

        var rebuilt = await PortfolioAsync(owner);
        Assert.Equal(24, rebuilt.Accounts);
        Assert.Equal(Json(slow), Json(rebuilt));
        Assert.Equal(Json(await SlowWayAsync(accounts)), Json(rebuilt));
        foreach (var s in Enumerable.Range(0, MetricsShards.Count))
        {
            Assert.Equal(start.Epoch, await fixture.Client.GetGrain<IMetricsShard>(s).GetEpoch());
        }
        var status = await fixture.Client.GetGrain<IMetricsEpochGrain>(0).Status();
        Assert.Equal((start.Epoch, false), (status.Epoch, status.Rebuilding));
        Assert.True(status.Done >= 24 && status.Done == status.Total, JsonSerializer.Serialize(status));
    }

    [Fact]
    public async Task A_shard_drops_deltas_of_an_older_epoch_and_resets_itself_for_a_newer_one()
    {
        string owner = "ep-" + Guid.NewGuid().ToString("N");
        var shard = fixture.Client.GetGrain<IMetricsShard>(3);
        long e = await shard.GetEpoch();
        byte[] OneAccount(int seats) => MetricFacts.Encode(new Dictionary<FactKey, decimal> { [new FactKey(FactKind.Account, 0)] = 1, [new FactKey(FactKind.Seats, 0)] = seats });

        await shard.Add("smb", owner, OneAccount(4), e);
        Assert.Equal((1L, 4L), await ShardFiguresAsync(shard, owner));

        await shard.Reset(e + 1);
        Assert.Equal((0L, 0L), await ShardFiguresAsync(shard, owner));
        Assert.Equal(e + 1, await shard.GetEpoch());

        await shard.Add("smb", owner, OneAccount(5), e); // relative to sums the reset threw away
        await shard.Move("smb", owner, OneAccount(5), "mid-market", owner, OneAccount(6), e);
        Assert.Equal((0L, 0L), await ShardFiguresAsync(shard, owner));

        await shard.Add("smb", owner, OneAccount(2), e + 1);
        Assert.Equal((1L, 2L), await ShardFiguresAsync(shard, owner));

        await shard.Reset(e + 1); // the same epoch again (a retried rebuild): keeps its sums
        await shard.Reset(e); // an older one: ignored
        Assert.Equal((1L, 2L), await ShardFiguresAsync(shard, owner));
        Assert.Equal(e + 1, await shard.GetEpoch());

        // A newer epoch than the shard's (a reset that never arrived): reset to it, then apply.
        await shard.Add("smb", owner, OneAccount(9), e + 2);
        Assert.Equal((1L, 9L), await ShardFiguresAsync(shard, owner));
        Assert.Equal(e + 2, await shard.GetEpoch());

        await Rebuilder.RequestAsync("test: restore");
        await Rebuilder.WhenIdleAsync();
        Assert.Equal((0L, 0L), await ShardFiguresAsync(shard, owner)); // the bogus sends were never an account's
        Assert.True(await shard.GetEpoch() > e + 2);
    }

    [Fact]
    public async Task Accounts_publishing_at_once_add_up_to_their_own_figures()
    {
        // Many accounts publishing to the same shards at the same time (as when the silo's
        // publish queue wakes thousands at once): every account's delta is counted once. It
        // caught lost deltas in a trial that merged the publishes per shard (stop 23).
        string owner = "burst-" + Guid.NewGuid().ToString("N");
        var accounts = Enumerable.Range(0, 64).Select(i => $"{owner}-{i}").ToArray();
        await Task.WhenAll(accounts.Select(async (account, i) =>
        {
            var r = new Random(1_000 + i);
            var grain = fixture.Account(account);
            await grain.Register(new AccountProfile(account, owner, i % 2 == 0 ? "smb" : "enterprise", 1 + i % 19, null));
            foreach (var chunk in GeneratedHistory.For(account, r).Chunk(50))
            {
                await grain.Apply(new SignalBatch(chunk));
            }
        }));

        var slow = await SlowWayAsync(accounts);
        Assert.Equal(64, slow.Accounts);
        Assert.Equal(Json(slow), Json(await PortfolioAsync(owner)));
    }

    [Fact]
    public async Task An_account_publishing_between_the_reset_and_its_republish_is_counted_exactly_once()
    {
        string owner = "race-" + Guid.NewGuid().ToString("N");
        var accounts = await CreateAccountsAsync(owner, 6, seed: 11);
        var shards = Enumerable.Range(0, MetricsShards.Count).Select(s => fixture.Client.GetGrain<IMetricsShard>(s)).ToArray();
        long next = (await Task.WhenAll(shards.Select(s => s.GetEpoch()))).Max() + 1;

        // A rebuild's first step by hand: every shard reset to the next epoch.
        await Task.WhenAll(shards.Select(s => s.Reset(next)));
        Assert.Equal(0, (await PortfolioAsync(owner)).Accounts);

        // Account 0 changes before the rebuild reached it: the shard drops its old-epoch delta
        // and answers with its epoch, so the account republishes its full facts under it at once...
        var a0 = fixture.Account(accounts[0]);
        await a0.Apply(new SignalBatch([new Signal { Id = "race-rev-1-" + owner, AccountId = accounts[0], Type = SignalType.Revenue, Timestamp = new DateTimeOffset(2025, 5, 20, 0, 0, 0, TimeSpan.Zero), Mrr = 12_345 }]));
        var one = await SlowWayAsync([accounts[0]]);
        Assert.Equal((1L, 12_345m), (one.Accounts, one.Revenue.MrrEnd));
        Assert.Equal(Json(one), Json(await PortfolioAsync(owner)));

        // ...and the rebuild's republish when it gets there does nothing: counted once, not twice.
        await a0.RepublishMetrics(next);
        Assert.Equal(Json(one), Json(await PortfolioAsync(owner)));

        // After the republish it publishes diffs under the new epoch; a second republish does nothing.
        await a0.Apply(new SignalBatch([new Signal { Id = "race-rev-2-" + owner, AccountId = accounts[0], Type = SignalType.Revenue, Timestamp = new DateTimeOffset(2025, 5, 25, 0, 0, 0, TimeSpan.Zero), Mrr = 13_000 }]));
        await a0.RepublishMetrics(next);
        one = await SlowWayAsync([accounts[0]]);
        Assert.Equal(13_000m, one.Revenue.MrrEnd);
        Assert.Equal(Json(one), Json(await PortfolioAsync(owner)));

        // A new account created now takes the shards' epoch at its first publish.
        string late = $"{owner}-late";
        await fixture.Account(late).Register(new AccountProfile(late, owner, "smb", 3, null));
        await fixture.Account(late).Apply(new SignalBatch([new Signal { Id = "race-late-" + owner, AccountId = late, Type = SignalType.Revenue, Timestamp = new DateTimeOffset(2025, 5, 21, 0, 0, 0, TimeSpan.Zero), Mrr = 100 }]));
        Assert.Equal(Json(await SlowWayAsync([accounts[0], late])), Json(await PortfolioAsync(owner)));

        // The rest of the rebuild (and of the cluster): everything equal to the slow way again.
        await Rebuilder.RequestAsync("test: finish");
        await Rebuilder.WhenIdleAsync();
        var all = await SlowWayAsync([.. accounts, late]);
        Assert.Equal(7, all.Accounts);
        Assert.Equal(Json(all), Json(await PortfolioAsync(owner)));
    }

    [Fact]
    public async Task A_request_while_a_rebuild_runs_is_queued_into_one_more_run()
    {
        var first = Rebuilder.RequestAsync("test: first");
        var second = await Rebuilder.RequestAsync("test: second");
        var third = await Rebuilder.RequestAsync("test: third");
        var started = await first;
        Assert.False(started.Queued);
        Assert.True(second.Queued && third.Queued);
        await Rebuilder.WhenIdleAsync();
        // The two queued requests made exactly one more run.
        Assert.Equal(started.Epoch + 1, (await fixture.Client.GetGrain<IMetricsEpochGrain>(0).Status()).Epoch);
    }

    private async Task<string[]> CreateAccountsAsync(string owner, int count, int seed)
    {
        var r = new Random(seed);
        var accounts = Enumerable.Range(0, count).Select(i => $"{owner}-{i}").ToArray();
        foreach (var account in accounts)
        {
            var grain = fixture.Account(account);
            await grain.Register(new AccountProfile(account, owner, r.Next(2) == 0 ? "smb" : "enterprise", r.Next(1, 20), null));
            foreach (var chunk in GeneratedHistory.For(account, r).Chunk(50))
            {
                await grain.Apply(new SignalBatch(chunk));
            }
        }
        // The index learns of accounts one-way: a rebuild only reaches those it lists.
        await Poll.Until(async () => (await Task.WhenAll(Enumerable.Range(0, AccountIndex.ShardCount)
                .Select(s => fixture.Client.GetGrain<IAccountIndexShard>(s).AccountIds()))).SelectMany(x => x).Count(accounts.Contains),
            n => n == count);
        return accounts;
    }

    private static async Task<(long Accounts, long Seats)> ShardFiguresAsync(IMetricsShard shard, string owner)
    {
        var facts = PeriodFacts.FromBytes(await shard.Query(new MetricsQuery(From.DayNumber, To.DayNumber, null, owner)));
        var report = MetricsCalculator.Compute(facts, null, null, owner);
        return (report.Accounts, report.Engagement.Seats);
    }

    private async Task<MetricsReport> PortfolioAsync(string owner)
    {
        var query = new MetricsQuery(From.DayNumber, To.DayNumber, null, owner);
        var total = PeriodFacts.Empty(From.DayNumber, To.DayNumber);
        foreach (var part in await Task.WhenAll(Enumerable.Range(0, MetricsShards.Count).Select(s => fixture.Client.GetGrain<IMetricsShard>(s).Query(query))))
        {
            total.Merge(PeriodFacts.FromBytes(part));
        }
        return MetricsCalculator.Compute(total, null, null, owner);
    }

    /// <summary>The slow way: every account's own figures for the period, added up.</summary>
    private async Task<MetricsReport> SlowWayAsync(IEnumerable<string> accounts)
    {
        var total = PeriodFacts.Empty(From.DayNumber, To.DayNumber);
        foreach (var account in accounts)
        {
            total.Merge(PeriodFacts.FromBytes(await fixture.Account(account).GetMetricFacts(From.DayNumber, To.DayNumber)));
        }
        return MetricsCalculator.Compute(total, null, null, null);
    }

    private static string Json(MetricsReport r) => JsonSerializer.Serialize(r with { Segment = null, Owner = null });
}
