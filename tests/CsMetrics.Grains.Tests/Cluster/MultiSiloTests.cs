using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Index;
using CsMetrics.Grains.Ingest;
using CsMetrics.Scoring.Signals;
using Microsoft.Extensions.DependencyInjection;
using static CsMetrics.Grains.Tests.Cluster.Sig;

namespace CsMetrics.Grains.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class MultiSiloTests(ClusterFixture fixture)
{
    private static readonly string[] KeyFeatures = ["reports.export", "dashboards.create", "integrations.connect", "alerts.configure"];

    [Fact]
    public async Task Fifty_accounts_spread_over_both_silos_are_scored_and_listed_correctly()
    {
        const int Accounts = 50;
        string owner = "owner-" + Guid.NewGuid().ToString("N");
        var now = fixture.Time.GetUtcNow();
        var ids = Enumerable.Range(0, Accounts).Select(i => $"many-{i:D2}-{Guid.NewGuid():N}").ToArray();

        await Task.WhenAll(ids.Select(id => fixture.Account(id).Register(new AccountProfile(id, owner, "smb", 0, null))));

        // Account i uses i % 5 key features (adoption 0, 25, 50, 75, 100) in 1 + i % 3 events each,
        // so its score is (100·30 + adoption·20) / 50 = 60 + 10·(i % 5). Half goes in through each silo.
        Signal[] SignalsOf(int i)
        {
            int features = i % 5, repeat = 1 + i % 3;
            var list = new List<Signal>();
            for (int r = 0; r < repeat; r++)
            {
                list.Add(Usage(ids[i], $"{ids[i]}-u{r}", now.AddMinutes(-r), $"user{r}", features == 0 ? null : KeyFeatures[r % features]));
            }
            for (int f = repeat; f < features; f++)
            {
                list.Add(Usage(ids[i], $"{ids[i]}-f{f}", now, "user0", KeyFeatures[f]));
            }
            return [.. list];
        }
        var perAccount = Enumerable.Range(0, Accounts).Select(SignalsOf).ToArray();
        var results = await Task.WhenAll(
            fixture.Silo(0).GetRequiredService<SignalIngestor>().IngestAsync(perAccount.Take(Accounts / 2).SelectMany(s => s).ToArray()),
            fixture.Silo(1).GetRequiredService<SignalIngestor>().IngestAsync(perAccount.Skip(Accounts / 2).SelectMany(s => s).ToArray()));
        Assert.Equal(perAccount.Take(Accounts / 2).Sum(s => s.Length), results[0].Accepted);
        Assert.Equal(perAccount.Skip(Accounts / 2).Sum(s => s.Length), results[1].Accepted);
        Assert.All(results, r => Assert.Equal(0, r.Duplicates));

        var views = await Task.WhenAll(ids.Select(id => fixture.Account(id).GetView()));
        for (int i = 0; i < Accounts; i++)
        {
            var view = views[i]!;
            Assert.Equal(perAccount[i].Length, view.SignalCounts.Usage);
            Assert.Equal(perAccount[i].Length, view.SignalCounts.Total);
            Assert.Equal(25.0 * (i % 5), view.Component("adoption").Score);
            Assert.Equal(60 + 10 * (i % 5), view.Health.Score);
            Assert.Equal(i % 5 == 0 ? "yellow" : "green", view.Health.Band);
            Assert.Equal(owner, view.Owner);
        }

        // Where the account grains live: the cluster spreads them over both silos.
        var management = fixture.Client.GetGrain<IManagementGrain>(0);
        var grainIds = ids.Select(id => fixture.Account(id).GetGrainId()).ToHashSet();
        var stats = await management.GetDetailedGrainStatistics();
        var hosts = stats.Where(s => grainIds.Contains(s.GrainId)).ToList();
        Assert.Equal(Accounts, hosts.Count);
        Assert.Equal(ClusterFixture.SiloCount, hosts.Select(s => s.SiloAddress).Distinct().Count());

        // The merged listing: ten accounts per score, worst first, ties by id.
        var expected = Enumerable.Range(0, Accounts)
            .OrderBy(i => i % 5).ThenBy(i => ids[i], StringComparer.Ordinal)
            .Select(i => ids[i]).ToArray();
        var (entries, total) = await Poll.Until(
            () => AccountIndexTests.QueryAll(fixture.Client, new IndexQuery(owner, null, null, Accounts)),
            r => r.Entries.Count(e => e.Score is not null) == Accounts);
        Assert.Equal(Accounts, total);
        Assert.Equal(expected, entries.Select(e => e.AccountId));
        var (worstTen, _) = await AccountIndexTests.QueryAll(fixture.Client, new IndexQuery(owner, null, null, 10));
        Assert.Equal(expected.Take(10), worstTen.Select(e => e.AccountId));
        Assert.All(worstTen, e => Assert.Equal(60, e.Score));
        var (green, greenTotal) = await AccountIndexTests.QueryAll(fixture.Client, new IndexQuery(owner, null, "green", Accounts));
        Assert.Equal(40, greenTotal);
        Assert.Equal(expected.Skip(10), green.Select(e => e.AccountId));
    }
}
