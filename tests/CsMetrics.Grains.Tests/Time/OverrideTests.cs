using System.Text.Json;
using CsMetrics.Contracts.Accounts;
using CsMetrics.Grains.Tests.Cluster;
using static CsMetrics.Grains.Tests.Cluster.Sig;

namespace CsMetrics.Grains.Tests.Time;

/// <summary>Manual overrides: what shows, what keeps running underneath, expiry, lifting, the audit.</summary>
[Collection(TimeClusterCollection.Name)]
public sealed class OverrideTests(TimeClusterFixture fixture)
{
    [Fact]
    public async Task A_band_override_shows_everywhere_while_the_computed_score_keeps_running_and_expires()
    {
        string id = NewAccount("band");
        var grain = fixture.Account(id);
        var t0 = fixture.AdvanceToNextDay();
        await Scenario.UsedToday(grain, id, t0);                                         // 70 green
        var expires = t0.AddDays(2);

        var set = (await grain.SetOverride(new ScoreOverride("red", null, "exec escalation", expires, "olivia")))!;
        var h = set.Health;
        // A band override keeps the computed score as the score and shows the band.
        Assert.Equal((70.0, "red", true), (h.Score!.Value, h.Band, h.Overridden));
        Assert.Equal((70.0, "green"), (h.ComputedScore!.Value, h.ComputedBand));
        Assert.Equal(new OverrideView("red", null, "exec escalation", expires, "olivia", t0), h.Override);
        var audit = Assert.Single(set.OverrideAudit);
        Assert.Equal(new OverrideAudit("set", "red", null, "exec escalation", expires, "olivia", t0), audit);
        Assert.Equal(JsonSerializer.Serialize(set), JsonSerializer.Serialize(await grain.GetView()));

        // The listing and the watchlists show the override, flagged.
        var entry = await fixture.IndexEntryWhen(id, e => e.Overridden);
        Assert.Equal((70.0, "red", true, "override: exec escalation"), (entry!.Score!.Value, entry.Band, entry.Overridden, entry.Reason));
        var atRisk = await fixture.WatchlistWhen("at-risk", w => w.Any(e => e.AccountId == id));
        var row = atRisk.Single(e => e.AccountId == id);
        Assert.Equal(("red", true, "override: exec escalation"), (row.Band, row.Overridden, row.Reason));

        // Underneath, the computed score goes on: a key feature more → 80.
        fixture.Time.Advance(TimeSpan.FromHours(1));
        await grain.Apply(Batch(Usage(id, "u2", fixture.Time.GetUtcNow(), "alice", "api.call")));
        h = (await grain.GetView())!.Health;
        Assert.Equal((80.0, "red", true), (h.Score!.Value, h.Band, h.Overridden));
        Assert.Equal((80.0, "green"), (h.ComputedScore!.Value, h.ComputedBand));
        Assert.Equal("usage", h.Explanation!.SignalType);
        Assert.Equal(80, (await grain.GetHistory(t0, fixture.Time.GetUtcNow()))[^1].Score);

        // Past the expiry the override no longer shows; the re-evaluation lifts it and audits it.
        fixture.Time.Advance(TimeSpan.FromDays(2));
        var now = fixture.Time.GetUtcNow();
        Assert.False((await grain.GetView())!.Health.Overridden);
        await grain.Reevaluate();
        var after = (await grain.GetView())!;
        Assert.False(after.Health.Overridden);
        Assert.Null(after.Health.Override);
        Assert.Equal(after.Health.ComputedScore, after.Health.Score);
        Assert.Equal(after.Health.ComputedBand, after.Health.Band);
        Assert.Equal(
            [
                new OverrideAudit("set", "red", null, "exec escalation", expires, "olivia", t0),
                new OverrideAudit("expired", "red", null, "exec escalation", expires, "system", now),
            ],
            after.OverrideAudit);
        // Silence 2 days still scores 100 on the steps, trend 100: still 80, green.
        Assert.Equal((80.0, "green"), (after.Health.Score!.Value, after.Health.Band));

        entry = await fixture.IndexEntryWhen(id, e => !e.Overridden);
        Assert.Equal((80.0, "green"), (entry!.Score!.Value, entry.Band));
        await fixture.WatchlistWhen("at-risk", w => w.All(e => e.AccountId != id));
        Assert.DoesNotContain(await fixture.Watchlist("at-risk"), e => e.AccountId == id);

        // A second re-evaluation has nothing more to expire.
        await grain.Reevaluate();
        Assert.Equal(2, (await grain.GetView())!.OverrideAudit.Length);
    }

    [Fact]
    public async Task A_score_override_sets_score_and_band_and_lifting_it_is_audited()
    {
        string id = NewAccount("score");
        var grain = fixture.Account(id);
        var t0 = fixture.AdvanceToNextDay();
        await Scenario.UsedToday(grain, id, t0);                                         // 70 green
        var expires = t0.AddDays(30);

        var set = (await grain.SetOverride(new ScoreOverride(null, 35, "contract dispute", expires, "omar")))!;
        // The band follows the override score under the active scorecard (red below 40).
        Assert.Equal((35.0, "red", true), (set.Health.Score!.Value, set.Health.Band, set.Health.Overridden));
        Assert.Equal((70.0, "green"), (set.Health.ComputedScore!.Value, set.Health.ComputedBand));
        var entry = await fixture.IndexEntryWhen(id, e => e.Overridden);
        Assert.Equal((35.0, "red"), (entry!.Score!.Value, entry.Band));
        var row = (await fixture.WatchlistWhen("at-risk", w => w.Any(e => e.AccountId == id))).Single(e => e.AccountId == id);
        Assert.Equal((35.0, true), (row.Score!.Value, row.Overridden));

        // Replacing it is another "set"; lifting it is a "lifted" with who and why.
        fixture.Time.Advance(TimeSpan.FromMinutes(10));
        var t1 = fixture.Time.GetUtcNow();
        var replaced = (await grain.SetOverride(new ScoreOverride(null, 45.5, "dispute settling", expires, "omar")))!;
        Assert.Equal((45.5, "yellow"), (replaced.Health.Score!.Value, replaced.Health.Band));
        await fixture.WatchlistWhen("at-risk", w => w.All(e => e.AccountId != id));

        fixture.Time.Advance(TimeSpan.FromMinutes(10));
        var t2 = fixture.Time.GetUtcNow();
        var lifted = (await grain.LiftOverride("olivia", "resolved"))!;
        Assert.Equal((70.0, "green", false), (lifted.Health.Score!.Value, lifted.Health.Band, lifted.Health.Overridden));
        Assert.Null(lifted.Health.Override);
        Assert.Equal(
            [
                new OverrideAudit("set", null, 35, "contract dispute", expires, "omar", t0),
                new OverrideAudit("set", null, 45.5, "dispute settling", expires, "omar", t1),
                new OverrideAudit("lifted", null, 45.5, "resolved", expires, "olivia", t2),
            ],
            lifted.OverrideAudit);
        entry = await fixture.IndexEntryWhen(id, e => !e.Overridden);
        Assert.Equal((70.0, "green"), (entry!.Score!.Value, entry.Band));

        // Lifting when nothing is overridden changes nothing; unknown accounts answer null.
        var again = (await grain.LiftOverride("olivia", null))!;
        Assert.Equal(3, again.OverrideAudit.Length);
        string unknown = NewAccount("unknown");
        Assert.Null(await fixture.Account(unknown).SetOverride(new ScoreOverride("red", null, "x", expires, "omar")));
        Assert.Null(await fixture.Account(unknown).LiftOverride("omar", null));
        Assert.Null(await fixture.Account(unknown).GetView());
    }

    [Fact]
    public async Task An_override_and_its_audit_survive_deactivation()
    {
        string id = NewAccount("persist");
        var grain = fixture.Account(id);
        var t0 = fixture.AdvanceToNextDay();
        await grain.Register(new AccountProfile("Initech", "olivia", "smb", 0, null));
        await Scenario.UsedToday(grain, id, t0);
        await grain.SetOverride(new ScoreOverride("yellow", null, "watch closely", t0.AddDays(7), "olivia"));
        var before = (await grain.GetView())!;

        await fixture.Cluster.DeactivateAsync(grain);

        var after = (await grain.GetView())!;
        Assert.Equal(JsonSerializer.Serialize(before), JsonSerializer.Serialize(after));
        Assert.Equal(("yellow", true, 70.0), (after.Health.Band, after.Health.Overridden, after.Health.ComputedScore!.Value));
        Assert.Equal("set", Assert.Single(after.OverrideAudit).Action);
    }
}
