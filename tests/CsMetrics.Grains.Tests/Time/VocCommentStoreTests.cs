using CsMetrics.Contracts.Voc;
using CsMetrics.Grains.Checkpoints;
using CsMetrics.Grains.Voc;
using CsMetrics.Scoring.Signals;
using Microsoft.Extensions.DependencyInjection;
using static CsMetrics.Grains.Tests.Cluster.Sig;

namespace CsMetrics.Grains.Tests.Time;

/// <summary>NPS comments kept by month as signals arrive: deduplicated, persisted, checkpointed.</summary>
[Collection(TimeClusterCollection.Name)]
public sealed class VocCommentStoreTests(TimeClusterFixture fixture)
{
    [Fact]
    public async Task Nps_comments_go_to_their_months_store_once_and_survive_deactivation()
    {
        string id = NewAccount("voc");
        var grain = fixture.Account(id);
        // Imported history from a month no other test uses.
        var at = new DateTimeOffset(2019, 2, 14, 9, 30, 0, TimeSpan.Zero);
        await grain.Register(new Contracts.Accounts.AccountProfile("Voc Inc", "ana", "smb", 10, null));
        await grain.Apply(Batch(
            Survey(id, "n1", at, SurveyKind.Nps, 3, "p1", "Too expensive"),
            Survey(id, "n2", at.AddDays(1), SurveyKind.Nps, 9, "p2", "   "),             // blank: not kept
            Survey(id, "c1", at.AddDays(2), SurveyKind.Csat, 1, "p3", "expensive"),      // CSAT: not themed
            Survey(id, "n3", at.AddDays(10), SurveyKind.Nps, 8, "p4", "Setup was slow")));
        // A duplicate signal is not applied again, so it is not kept again.
        await grain.Apply(Batch(Survey(id, "n1", at, SurveyKind.Nps, 3, "p1", "Too expensive")));

        var store = fixture.Client.GetGrain<IVocCommentStore>("2019-02");
        var all = new VocFilter(at.AddDays(-1), at.AddDays(14), null, null, null);
        var themes = new VocThemeSet(0, VocThemesGrain.Defaults);
        var counts = await Cluster.Poll.Until(() => store.Count(themes, all), c => c.Comments == 2);
        Assert.Equal(2, counts.Comments);
        // "Too expensive" (detractor) → price; "Setup was slow" (passive) → onboarding and performance.
        Assert.Equal(new VocThemeCounts("price", 1, 0, 0), counts.Themes.Single(t => t.Theme == "price"));
        Assert.Equal(new VocThemeCounts("onboarding", 0, 1, 0), counts.Themes.Single(t => t.Theme == "onboarding"));
        Assert.Equal(new VocThemeCounts("performance", 0, 1, 0), counts.Themes.Single(t => t.Theme == "performance"));
        Assert.Equal(new VocThemeCounts("other", 0, 0, 0), counts.Themes.Single(t => t.Theme == "other"));

        var page = await store.Comments(themes, "price", all, 10);
        var kept = Assert.Single(page.Comments);
        Assert.Equal(new VocComment("n1", id, "smb", "ana", 3, "detractor", at, "Too expensive"), kept);

        // A replay after a restart re-sends what the store already holds: still one.
        await store.Add(kept);
        Assert.Equal(2, (await store.Count(themes, all)).Comments);

        // The checkpointer writes the month; deactivation loses nothing.
        await fixture.Silo(0).GetRequiredService<Checkpointer>().CheckpointAsync();
        await fixture.Silo(1).GetRequiredService<Checkpointer>().CheckpointAsync();
        Assert.Equal(0, fixture.Silo(0).GetRequiredService<DirtyCommentMonths>().Count + fixture.Silo(1).GetRequiredService<DirtyCommentMonths>().Count);
        await fixture.Cluster.DeactivateAsync(store);
        Assert.Equal(2, (await store.Count(themes, all)).Comments);
        Assert.Equal(1, (await store.Comments(themes, "onboarding", all with { Segment = "smb", Owner = "ana", Category = "passive" }, 10)).Total);
        Assert.Equal(0, (await store.Comments(themes, "onboarding", all with { Owner = "someone" }, 10)).Total);
    }
}
