using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Metrics;
using CsMetrics.Grains.Tests.Cluster;
using CsMetrics.Grains.Tests.Time;
using CsMetrics.Scoring.Metrics;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;
using static CsMetrics.Grains.Tests.Cluster.Sig;

namespace CsMetrics.Grains.Tests.Metrics;

/// <summary>
/// The account's history and its metrics shard in the embedded (production) configuration:
/// SQLite grain state, the silo stopped and started again, then a late signal that rewrites an
/// earlier movement — the portfolio must still equal the account's own figures.
/// </summary>
public sealed class MetricsRestartTests : IAsyncLifetime
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "csm-metrics-restart-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(TimeClusterFixture.Start);

    private Task<InProcessTestCluster> Start() => ClusterFixture.StartEmbeddedAsync(_dataDir, _time);

    private static readonly DateOnly From = new(2024, 1, 1), To = new(2024, 12, 31);

    private static async Task<MetricsReport> PortfolioAsync(IClusterClient client, string segment)
    {
        var total = PeriodFacts.Empty(From.DayNumber, To.DayNumber);
        var query = new MetricsQuery(From.DayNumber, To.DayNumber, segment, null);
        foreach (var part in await Task.WhenAll(Enumerable.Range(0, MetricsShards.Count).Select(s => client.GetGrain<IMetricsShard>(s).Query(query))))
        {
            total.Merge(PeriodFacts.FromBytes(part));
        }
        return MetricsCalculator.Compute(total, null, segment, null);
    }

    [Fact]
    public async Task History_and_portfolio_survive_a_restart_and_a_late_signal_still_corrects_both()
    {
        string id = NewAccount("metrics-restart"), segment = "seg-" + Guid.NewGuid().ToString("N");
        var at = (int month, int day) => new DateTimeOffset(2024, month, day, 12, 0, 0, TimeSpan.Zero);

        await using (var cluster = await Start())
        {
            var grain = cluster.Client.GetGrain<IAccountGrain>(id);
            await grain.Register(new AccountProfile("Restart Co", "olivia", segment, 5, null));
            await grain.Apply(Batch(Revenue(id, "m1", at(1, 1).AddDays(-30), 100m), Revenue(id, "m3", at(9, 1), 0m)));
            var before = await PortfolioAsync(cluster.Client, segment);
            // start 100, churned 100 on 1 September
            Assert.Equal((100m, 0m, 100m), (before.Revenue.MrrStart, before.Revenue.MrrEnd, before.Revenue.ChurnedMrr));
            await cluster.StopAllSilosAsync();
        }

        await using (var restarted = await Start())
        {
            var grain = restarted.Client.GetGrain<IAccountGrain>(id);
            var kept = await PortfolioAsync(restarted.Client, segment);
            Assert.Equal((1L, 100m, 0m, 100m), (kept.Accounts, kept.Revenue.MrrStart, kept.Revenue.MrrEnd, kept.Revenue.ChurnedMrr));

            // A late expansion in March: the churn in September now loses 150, not 100.
            await grain.Apply(Batch(Revenue(id, "m2", at(3, 1), 150m)));
            var portfolio = await PortfolioAsync(restarted.Client, segment);
            var own = MetricsCalculator.Compute(PeriodFacts.FromBytes(await grain.GetMetricFacts(From.DayNumber, To.DayNumber)), null, segment, null);
            Assert.Equal((100m, 0m, 50m, 150m), (portfolio.Revenue.MrrStart, portfolio.Revenue.MrrEnd, portfolio.Revenue.ExpansionMrr, portfolio.Revenue.ChurnedMrr));
            Assert.Equal(System.Text.Json.JsonSerializer.Serialize(own), System.Text.Json.JsonSerializer.Serialize(portfolio));
            await restarted.StopAllSilosAsync();
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => ClusterFixture.StopAndDeleteAsync(null, _dataDir);
}
