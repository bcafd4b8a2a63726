using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Metrics;
using CsMetrics.Contracts.Signals;
using CsMetrics.Grains.Accounts;
using CsMetrics.Grains.Tests.Cluster;
using CsMetrics.Scoring.Metrics;
using CsMetrics.Scoring.Signals;

namespace CsMetrics.Grains.Tests.Metrics;

/// <summary>A big account coalesces its publishes; a checkpoint always brings the shards up to date first.</summary>
[Collection(ClusterCollection.Name)]
public sealed class BigAccountPublishTests(ClusterFixture fixture)
{
    private static readonly DateOnly From = new(2015, 1, 1), To = new(2025, 6, 1);

    private async Task<long> PortfolioTicketsAsync(string segment)
    {
        var total = PeriodFacts.Empty(From.DayNumber, To.DayNumber);
        var query = new MetricsQuery(From.DayNumber, To.DayNumber, segment, null);
        foreach (var part in await Task.WhenAll(Enumerable.Range(0, MetricsShards.Count).Select(s => fixture.Client.GetGrain<IMetricsShard>(s).Query(query))))
        {
            total.Merge(PeriodFacts.FromBytes(part));
        }
        return total.TicketsOpened;
    }

    [Fact]
    public async Task A_checkpoint_publishes_what_a_big_account_has_not_yet_sent()
    {
        string id = Sig.NewAccount("big"), segment = "seg-" + Guid.NewGuid().ToString("N");
        var grain = fixture.Account(id);
        await grain.Register(new AccountProfile("Big Co", null, segment, 0, null));
        // 3,000 tickets on distinct days, each with its own first-response time: 9,000 facts,
        // more than AccountGrain.CoalesceFactsAbove.
        var first = new DateTimeOffset(2016, 1, 1, 9, 0, 0, TimeSpan.Zero);
        var signals = Enumerable.Range(0, 3000).SelectMany(i => new[]
        {
            Sig.Ticket(id, $"o{i}", first.AddDays(i), $"T{i}", TicketStatus.Opened, tags: ["billing"]),
            Sig.Ticket(id, $"r{i}", first.AddDays(i).AddMinutes(i % 600 + 1), $"T{i}", TicketStatus.FirstResponse),
        }).ToArray();
        await grain.Apply(new SignalBatch(signals));
        // The account was small before this batch: published at once.
        Assert.Equal(3000, await PortfolioTicketsAsync(segment));
        var same = new Scoring.Aggregates.AccountAggregates();
        foreach (var s in signals)
        {
            same.Apply(s, fixture.Time.GetUtcNow());
        }
        Assert.True(MetricFacts.Build(same, 0, null).Count > AccountGrain.CoalesceFactsAbove);

        // Now it is big: the next batches coalesce; a checkpoint publishes before it saves.
        await grain.Apply(new SignalBatch([Sig.Ticket(id, "late", first.AddDays(-100), "T-late", TicketStatus.Opened)]));
        await grain.Apply(new SignalBatch([Sig.Ticket(id, "later", first.AddDays(-50), "T-later", TicketStatus.Opened)]));
        await grain.Checkpoint();
        Assert.Equal(3002, await PortfolioTicketsAsync(segment));
        var own = PeriodFacts.FromBytes(await grain.GetMetricFacts(From.DayNumber, To.DayNumber));
        Assert.Equal(3002, own.TicketsOpened);
    }
}
