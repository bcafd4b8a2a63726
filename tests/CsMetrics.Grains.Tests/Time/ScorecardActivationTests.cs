using CsMetrics.Grains.Tests.Support;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Index;
using CsMetrics.Contracts.Scorecards;
using CsMetrics.Contracts.Signals;
using CsMetrics.Grains.Scorecards;
using CsMetrics.Grains.Tests.Cluster;
using CsMetrics.Scoring.Signals;
using Microsoft.Extensions.DependencyInjection;
using static CsMetrics.Grains.Tests.Cluster.Sig;

namespace CsMetrics.Grains.Tests.Time;

/// <summary>
/// A new scorecard version: the preview predicts it, activation re-scores every account in the
/// background (on a cluster of two silos, only one of which was told), history marks the version.
/// </summary>
public sealed class ScorecardActivationTests(ScorecardClusterFixture fixture) : IClassFixture<ScorecardClusterFixture>
{
    /// <summary>The default scorecard with bands red 60 / yellow 80 and engagement weighing 10 instead of 30.</summary>
    public static string StricterCard()
    {
        var card = JsonNode.Parse(DefaultScorecard.Json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!.AsObject();
        card["name"] = "Stricter";
        card["bands"] = new JsonObject { ["red"] = 60, ["yellow"] = 80 };
        card["components"]![0]!["weight"] = 10;
        return card.ToJsonString();
    }

    /// <summary>Kinds of accounts: their signals, their score and band before (default) and after (stricter).</summary>
    private static readonly (string Kind, Func<string, DateTimeOffset, Signal[]>? Signals, double? Before, string? BandBefore, double? After, string? BandAfter)[] Kinds =
    [
        // Engagement 100, adoption 0: (100·30) / 50 = 60 → (100·10) / 30 = 33.3.
        ("usage", (id, t) => [Usage(id, id + "-u", t, "alice")], 60, "yellow", 33.3, "red"),
        // Adoption 25: 70 → (1000 + 500) / 30 = 50.
        ("feature", (id, t) => [Usage(id, id + "-u", t, "alice", "reports.export")], 70, "green", 50, "red"),
        // MRR −10 % over the window → 50 under both; only the band moves.
        ("shrinking", (id, t) => [Revenue(id, id + "-m1", t.AddDays(-40), 1000m), Revenue(id, id + "-m2", t, 900m)], 50, "yellow", 50, "red"),
        ("flat", (id, t) => [Revenue(id, id + "-m1", t, 1000m)], 75, "green", 75, "yellow"),
        ("growing", (id, t) => [Revenue(id, id + "-m1", t.AddDays(-40), 1000m), Revenue(id, id + "-m2", t, 1040m)], 85, "green", 85, "green"),
        ("churning", (id, t) => [Revenue(id, id + "-m1", t.AddDays(-40), 1000m), Revenue(id, id + "-m2", t, 800m)], 25, "red", 25, "red"),
        ("registered", null, null, null, null, null),
    ];

    [Fact]
    public async Task Activation_rescores_every_account_as_the_preview_predicted_and_history_marks_the_version()
    {
        var t0 = fixture.AdvanceToNextDay();
        var accounts = new List<(string Id, int Kind)>();
        for (int copy = 0; copy < 3; copy++)
        {
            for (int k = 0; k < Kinds.Length; k++)
            {
                string id = NewAccount(Kinds[k].Kind);
                accounts.Add((id, k));
                var grain = fixture.Account(id);
                if (Kinds[k].Signals is { } signals)
                {
                    await grain.Apply(Batch(signals(id, t0)));
                }
                else
                {
                    await grain.Register(new AccountProfile("No signals yet", "omar", "smb", 0, null));
                }
            }
        }
        foreach (var (id, k) in accounts)
        {
            var view = (await fixture.Account(id).GetView())!;
            Assert.Equal((Kinds[k].Before, Kinds[k].BandBefore, 1), (view.Health.Score, view.Health.Band, view.Health.ScorecardVersion));
        }
        await Poll.Until(fixture.IndexedAccounts, n => n == accounts.Count);
        Assert.Equal(accounts.Count, await fixture.IndexedAccounts());

        // The preview, before anything changes.
        string json = StricterCard();
        var shards = Enumerable.Range(0, AccountIndex.ShardCount).Select(s => fixture.Client.GetGrain<IAccountIndexShard>(s)).ToArray();
        var preview = (await Task.WhenAll(shards.Select(s => s.Preview(json)))).SelectMany(p => p).ToDictionary(p => p.AccountId);
        Assert.Equal(accounts.Count, preview.Count);
        foreach (var (id, k) in accounts)
        {
            Assert.Equal(new ScorePreview(id, Kinds[k].Before, Kinds[k].BandBefore, Kinds[k].After, Kinds[k].BandAfter), preview[id]);
            Assert.Equal(preview[id], await fixture.Account(id).PreviewScore(json));
            Assert.Equal(1, (await fixture.Account(id).GetView())!.Health.ScorecardVersion); // a preview changes nothing
        }

        // Activate on the cluster and tell one silo; the rescore runs from there.
        fixture.Time.Advance(TimeSpan.FromSeconds(10));
        var activatedAt = fixture.Time.GetUtcNow();
        var scorecard = fixture.Client.GetGrain<IScorecardGrain>(0);
        var document = await scorecard.Activate(json);
        Assert.Equal((2, json, activatedAt), (document.Version, document.Json, document.ActivatedAt));
        Assert.Equal(new RescoreProgress(2, 0, 0, false), await scorecard.GetProgress());
        fixture.Silo(0).GetRequiredService<ScorecardRegistry>().Use(document);
        await fixture.Silo(0).GetRequiredService<ScorecardRescorer>().RunAsync(document.Version);

        Assert.Equal(new RescoreProgress(2, accounts.Count, accounts.Count, true), await scorecard.GetProgress());

        foreach (var (id, k) in accounts)
        {
            var grain = fixture.Account(id);
            var view = (await grain.GetView())!;
            string what = $"{Kinds[k].Kind} {id}";
            Assert.True(view.Health.ScorecardVersion == 2, what);
            // Exactly what the preview said.
            Assert.True((preview[id].After, preview[id].BandAfter) == (view.Health.Score, view.Health.Band), what);
            if (Kinds[k].Signals is null)
            {
                Assert.Empty(await grain.GetHistory(t0.AddDays(-1), activatedAt));
                continue;
            }
            var why = view.Health.Explanation!;
            Assert.Equal(("reevaluation", "scorecard v2 applied", activatedAt), (why.SignalType, why.Reason, why.At));
            Assert.Equal((Kinds[k].Before, Kinds[k].After), (why.Before, why.After));
            Assert.Equal(10, view.Component("engagement").Weight);

            // History: the v1 point, then a v2 point at activation (even where the score stayed).
            var history = await grain.GetHistory(t0.AddDays(-1), activatedAt);
            Assert.Equal(
                [new HistoryPoint(t0, Kinds[k].Before!.Value, Kinds[k].BandBefore!, 1), new HistoryPoint(activatedAt, Kinds[k].After!.Value, Kinds[k].BandAfter!, 2)],
                history);

            // Previewing the active card now predicts no change at all.
            Assert.Equal(new ScorePreview(id, Kinds[k].After, Kinds[k].BandAfter, Kinds[k].After, Kinds[k].BandAfter), await grain.PreviewScore(json));
        }

        // The listing and the at-risk watchlist follow the re-score.
        var red = accounts.Where(a => Kinds[a.Kind].BandAfter == "red").Select(a => a.Id).ToHashSet();
        Assert.Equal(12, red.Count);
        foreach (var (id, k) in accounts)
        {
            var entry = await fixture.IndexEntryWhen(id, e => e.Band == Kinds[k].BandAfter);
            Assert.Equal((Kinds[k].After, Kinds[k].BandAfter), (entry!.Score, entry.Band));
        }
        var atRisk = await fixture.WatchlistWhen("at-risk", w => w.Count(e => red.Contains(e.AccountId)) == red.Count);
        var ours = accounts.Select(a => a.Id).ToHashSet();
        Assert.Equal(red.Order(StringComparer.Ordinal), atRisk.Select(e => e.AccountId).Where(ours.Contains).Order(StringComparer.Ordinal));

        // Done is done: the shards have nothing left for this version.
        foreach (var shard in shards)
        {
            Assert.Equal(new SweepResult(0, 0), await shard.Rescore(2, 100));
        }

        // Every silo hosting an account follows the new version, though only silo 0 was told:
        // a new key feature now scores under the stricter card (v1 would say 70).
        foreach (var (id, _) in accounts.Where(a => Kinds[a.Kind].Kind == "usage"))
        {
            var result = await fixture.Account(id).Apply(Batch(Usage(id, id + "-later", activatedAt, "alice", "reports.export")));
            Assert.Equal((1, 0), ApplyCounts.Of(result));
            var view = (await fixture.Account(id).GetView())!;
            Assert.Equal((50.0, "red", 2), (view.Health.Score!.Value, view.Health.Band, view.Health.ScorecardVersion));
        }
        Assert.Equal(2, fixture.Silo(0).GetRequiredService<ScorecardRegistry>().Current.Version);
    }
}
