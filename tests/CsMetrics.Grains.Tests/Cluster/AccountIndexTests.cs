using Microsoft.Extensions.DependencyInjection;
using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Index;
using CsMetrics.Grains.Index;
using CsMetrics.Scoring.Signals;
using static CsMetrics.Grains.Tests.Cluster.Sig;

namespace CsMetrics.Grains.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class AccountIndexTests(ClusterFixture fixture)
{
    /// <summary>What a listing does: ask every shard for its first <c>take</c> matches, merge worst first.</summary>
    public static async Task<(List<IndexEntry> Entries, int Total)> QueryAll(IGrainFactory grains, IndexQuery query)
    {
        var pages = await Task.WhenAll(Enumerable.Range(0, AccountIndex.ShardCount)
            .Select(s => grains.GetGrain<IAccountIndexShard>(s).Query(query)));
        var merged = pages.SelectMany(p => p.Entries).Order(WorstFirst.Instance).Take(query.Take).ToList();
        return (merged, pages.Sum(p => p.Total));
    }

    [Fact]
    public async Task A_batch_through_the_ingestor_lists_every_account_it_changed_and_only_the_newest_listing_stays()
    {
        // The ingestor collects the accounts' new listings and sends each shard one message for
        // the batch: every account must show, with the score its grain has, in its own shard.
        var ingestor = fixture.Silo(0).GetRequiredService<CsMetrics.Grains.Ingest.SignalIngestor>();
        string owner = "batch-" + Guid.NewGuid().ToString("N")[..8];
        var now = fixture.Time.GetUtcNow();
        var ids = Enumerable.Range(0, 40).Select(i => $"lst-{i}-{Guid.NewGuid():N}").ToArray();
        foreach (var id in ids)
        {
            await fixture.Account(id).Register(new AccountProfile(id, owner, "smb", 0, null));
        }
        // Even accounts churn (0, red), odd ones keep paying (not red); all in one batch.
        var first = await ingestor.IngestAsync(ids.Select((id, i) => Revenue(id, id + "-m1", now, i % 2 == 0 ? 0m : 1000m)).ToArray());
        Assert.Equal((40, 0), (first.Accepted, first.Duplicates));
        var listed = await Poll.Until(
            async () => (await QueryAll(fixture.Client, new IndexQuery(owner, null, null, 100))).Entries,
            l => l.Count == 40 && l.All(e => e.Score is not null));
        Assert.Equal(ids.Order(StringComparer.Ordinal), listed.Select(e => e.AccountId).Order(StringComparer.Ordinal));
        foreach (var e in listed)
        {
            int i = Array.IndexOf(ids, e.AccountId);
            Assert.Equal(i % 2 == 0, e.Score == 0);
            Assert.Equal(i % 2 == 0, e.Band == "red");
            Assert.Equal((await fixture.Account(e.AccountId).GetView())!.Health.Score, e.Score);
        }

        // A second batch turns every churned account around: the newer listing replaces the old.
        var second = await ingestor.IngestAsync(ids.Where((_, i) => i % 2 == 0).Select(id => Revenue(id, id + "-m2", now.AddMinutes(1), 1000m)).ToArray());
        Assert.Equal((20, 0), (second.Accepted, second.Duplicates));
        var after = await Poll.Until(
            async () => (await QueryAll(fixture.Client, new IndexQuery(owner, null, null, 100))).Entries,
            l => l.Count == 40 && l.All(e => e.Score > 0));
        foreach (var e in after)
        {
            Assert.Equal((await fixture.Account(e.AccountId).GetView())!.Health.Score, e.Score);
            Assert.NotEqual("red", e.Band);
        }
    }

    [Fact]
    public async Task Accounts_report_to_their_shard_and_a_merged_query_lists_them_worst_first_with_filters()
    {
        string tag = Guid.NewGuid().ToString("N")[..8];
        string olivia = "olivia-" + tag, omar = "omar-" + tag, smb = "smb-" + tag, ent = "ent-" + tag;
        var now = fixture.Time.GetUtcNow();

        // name → (owner, segment, signals): the expected score is in the comment.
        var accounts = new Dictionary<string, (string Owner, string Segment, Func<string, Signal[]> Signals)>
        {
            ["a"] = (olivia, smb, id => [Usage(id, id + "-u", now, "alice")]), // engagement 100, adoption 0 → 60 yellow
            ["b"] = (olivia, ent, id => [Usage(id, id + "-u", now, "alice", "reports.export")]), // adoption 25 → 70 green
            ["c"] = (omar, smb, id => [Usage(id, id + "-u1", now, "alice", "reports.export"), Usage(id, id + "-u2", now, "alice", "api.call")]), // 80 green
            ["d"] = (olivia, ent, id => [Revenue(id, id + "-m", now, 0m)]), // churned → 0 red
            ["e"] = (omar, smb, id => [Revenue(id, id + "-m", now, 1000m)]), // flat MRR → 75 green
            ["f"] = (omar, ent, _ => []), // registered only → no score
            ["g"] = (omar, ent, id => [Survey(id, id + "-s", now, SurveyKind.Nps, 0, "r1")]), // NPS −100 → 0 red
        };
        var ids = accounts.Keys.ToDictionary(k => k, k => $"{k}-{tag}-{Guid.NewGuid():N}");
        foreach (var (name, (owner, segment, signals)) in accounts)
        {
            var grain = fixture.Account(ids[name]);
            await grain.Register(new AccountProfile(name.ToUpperInvariant(), owner, segment, 0, null));
            if (signals(ids[name]) is { Length: > 0 } batch)
            {
                await grain.Apply(Batch(batch));
            }
        }

        var zeroes = new[] { ids["d"], ids["g"] }.Order(StringComparer.Ordinal).ToArray();
        string[] worstFirst = [zeroes[0], zeroes[1], ids["a"], ids["b"], ids["e"], ids["c"], ids["f"]];
        var expectedScores = new double?[] { 0, 0, 60, 70, 75, 80, null };

        // Index reports are one-way: wait until the listing has caught up with every account.
        async Task<List<IndexEntry>> Listing()
        {
            var (o, _) = await QueryAll(fixture.Client, new IndexQuery(olivia, null, null, 100));
            var (m, _) = await QueryAll(fixture.Client, new IndexQuery(omar, null, null, 100));
            return o.Concat(m).Order(WorstFirst.Instance).ToList();
        }
        var all = await Poll.Until(Listing, l => l.Select(e => e.Score).SequenceEqual(expectedScores));
        Assert.Equal(worstFirst, all.Select(e => e.AccountId));
        Assert.Equal(expectedScores, all.Select(e => e.Score));
        Assert.Equal(new string?[] { "red", "red", "yellow", "green", "green", "green", null }, all.Select(e => e.Band));

        // Each account is listed by exactly its own shard.
        foreach (var (name, id) in ids)
        {
            int shard = AccountIndex.ShardOf(id);
            Assert.InRange(shard, 0, AccountIndex.ShardCount - 1);
            for (int s = 0; s < AccountIndex.ShardCount; s++)
            {
                var page = await fixture.Client.GetGrain<IAccountIndexShard>(s).Query(new IndexQuery(accounts[name].Owner, null, null, 1000));
                Assert.Equal(s == shard, page.Entries.Any(e => e.AccountId == id));
                Assert.All(page.Entries, e => Assert.Equal(s, AccountIndex.ShardOf(e.AccountId)));
            }
        }

        var (oliviaEntries, oliviaTotal) = await QueryAll(fixture.Client, new IndexQuery(olivia, null, null, 100));
        var (omarEntries, omarTotal) = await QueryAll(fixture.Client, new IndexQuery(omar, null, null, 100));
        Assert.Equal(3, oliviaTotal);
        Assert.Equal(4, omarTotal);
        Assert.Equal(worstFirst, oliviaEntries.Concat(omarEntries).Order(WorstFirst.Instance).Select(e => e.AccountId));

        var d = all.Single(e => e.AccountId == ids["d"]);
        Assert.Equal(("D", olivia, ent, 0.0, "red"), (d.Name, d.Owner, d.Segment, d.Score!.Value, d.Band));
        Assert.Null(d.RenewalDate);
        Assert.Equal(now, d.UpdatedAt);
        Assert.Equal("MRR went to 0 (churned): revenue now 0", d.Reason);
        Assert.Equal(new[] { 0.0 }, d.Trend);
        Assert.Null(d.LastUsageAt);
        Assert.True(d.Revision > 0);
        var f = all.Single(e => e.AccountId == ids["f"]);
        Assert.Null(f.Score);
        Assert.Equal("F", f.Name);

        Assert.Equal(new[] { ids["d"], ids["a"], ids["b"] }, oliviaEntries.Select(e => e.AccountId));

        // Segment filter, with a page smaller than the matches: totals still count every match.
        var (entPage, entTotal) = await QueryAll(fixture.Client, new IndexQuery(null, ent, null, 2));
        Assert.Equal(4, entTotal);
        Assert.Equal(new[] { zeroes[0], zeroes[1] }, entPage.Select(e => e.AccountId));

        // Owner and band together.
        var (omarGreen, omarGreenTotal) = await QueryAll(fixture.Client, new IndexQuery(omar, null, "green", 100));
        Assert.Equal(2, omarGreenTotal);
        Assert.Equal(new[] { ids["e"], ids["c"] }, omarGreen.Select(e => e.AccountId));
        var (smbYellow, _) = await QueryAll(fixture.Client, new IndexQuery(null, smb, "yellow", 100));
        Assert.Equal(new[] { ids["a"] }, smbYellow.Select(e => e.AccountId));

        // A score change moves the account in the listing: "a" gains three key features (adoption 75 → 90).
        await fixture.Account(ids["a"]).Apply(Batch(
            Usage(ids["a"], "a-x1", now, "alice", "reports.export"),
            Usage(ids["a"], "a-x2", now, "alice", "api.call"),
            Usage(ids["a"], "a-x3", now, "alice", "alerts.configure")));
        var (moved, movedTotal) = await Poll.Until(
            () => QueryAll(fixture.Client, new IndexQuery(olivia, null, null, 100)),
            r => r.Entries.Any(e => e.AccountId == ids["a"] && e.Score == 90));
        Assert.Equal(3, movedTotal);
        Assert.Equal(new[] { ids["d"], ids["b"], ids["a"] }, moved.Select(e => e.AccountId));
        Assert.Equal(90, moved[2].Score);
        Assert.Equal("green", moved[2].Band);
    }
}
