using CsMetrics.Contracts.Accounts;
using CsMetrics.Grains.Tests.Cluster;
using static CsMetrics.Grains.Tests.Cluster.Sig;

namespace CsMetrics.Grains.Tests.Time;

/// <summary>Score history (points coalesced per minute, then daily closes) and the 7/30-day deltas.</summary>
[Collection(TimeClusterCollection.Name)]
public sealed class ScoreHistoryTests(TimeClusterFixture fixture)
{
    [Fact]
    public async Task Each_score_change_is_a_point_with_band_and_version_coalesced_to_one_a_minute_and_filtered_by_range()
    {
        string id = NewAccount("hist");
        var grain = fixture.Account(id);
        var t1 = fixture.AdvanceToNextDay();

        // No feature: engagement 100, adoption 0 → 60 yellow.
        await grain.Apply(Batch(Usage(id, "u1", t1, "alice")));
        Assert.Equal(new[] { new HistoryPoint(t1, 60, "yellow", 1) }, await grain.GetHistory(t1, t1));

        // 20 seconds later, same minute: one key feature → 70 green. Still one point: the latest.
        fixture.Time.Advance(TimeSpan.FromSeconds(20));
        var t2 = fixture.Time.GetUtcNow();
        await grain.Apply(Batch(Usage(id, "u2", t2, "alice", "reports.export")));

        // The next minute: a second key feature → 80 green, a new point.
        fixture.Time.Advance(TimeSpan.FromMinutes(1));
        var t3 = fixture.Time.GetUtcNow();
        await grain.Apply(Batch(Usage(id, "u3", t3, "alice", "api.call")));

        // A signal that moves no score adds no point.
        fixture.Time.Advance(TimeSpan.FromMinutes(2));
        var t4 = fixture.Time.GetUtcNow();
        await grain.Apply(Batch(Usage(id, "u4", t4, "alice", "api.call")));
        Assert.Equal(80, (await grain.GetView())!.Health.Score);

        HistoryPoint[] all = [new(t2, 70, "green", 1), new(t3, 80, "green", 1)];
        Assert.Equal(all, await grain.GetHistory(t1.AddDays(-30), t4));
        Assert.Equal(all, await grain.GetHistory(t1, t3));
        Assert.Equal(all[..1], await grain.GetHistory(t1.AddHours(-1), t3.AddTicks(-1)));
        Assert.Equal(all[1..], await grain.GetHistory(t2.AddTicks(1), t4));
        Assert.Empty(await grain.GetHistory(t3.AddTicks(1), t4));
        Assert.Empty(await grain.GetHistory(t1.AddDays(-2), t1.AddDays(-1)));

        // An account nobody knows has no history.
        Assert.Empty(await fixture.Account(NewAccount("nobody")).GetHistory(t1.AddDays(-30), t4));
    }

    [Fact]
    public async Task Points_older_than_the_recent_window_live_on_as_daily_closes()
    {
        string id = NewAccount("closes");
        var grain = fixture.Account(id);
        var t1 = fixture.AdvanceToNextDay();
        await grain.Apply(Batch(Usage(id, "u1", t1, "alice")));                          // 60 yellow
        fixture.Time.Advance(TimeSpan.FromMinutes(5));
        var t2 = fixture.Time.GetUtcNow();
        await grain.Apply(Batch(Usage(id, "u2", t2, "alice", "reports.export")));        // 70 green
        fixture.Time.Advance(TimeSpan.FromMinutes(5));
        var t3 = fixture.Time.GetUtcNow();
        await grain.Apply(Batch(Usage(id, "u3", t3, "alice", "api.call")));              // 80 green: the day's close
        Assert.Equal(3, (await grain.GetHistory(t1, t3)).Length);

        // Three days without usage, then a re-evaluation: silence 3 days → 60, trend 100:
        // engagement 80, adoption 50 → (80·30 + 50·20) / 50 = 68 yellow. The points of day 0 are
        // now older than the recent window (48 h): only the day's close is left of them.
        fixture.Time.Advance(TimeSpan.FromDays(3));
        var t4 = fixture.Time.GetUtcNow();
        Assert.True(await grain.Reevaluate());
        Assert.Equal(
            [new HistoryPoint(t3, 80, "green", 1), new HistoryPoint(t4, 68, "yellow", 1)],
            await grain.GetHistory(t1.AddDays(-1), t4));
        Assert.Equal([new HistoryPoint(t3, 80, "green", 1)], await grain.GetHistory(t1, t3));
        Assert.Equal([new HistoryPoint(t4, 68, "yellow", 1)], await grain.GetHistory(t3.AddTicks(1), t4));

        // History is part of the account's state: it survives deactivation.
        await fixture.Cluster.DeactivateAsync(grain);
        Assert.Equal(
            [new HistoryPoint(t3, 80, "green", 1), new HistoryPoint(t4, 68, "yellow", 1)],
            await grain.GetHistory(t1.AddDays(-1), t4));
    }

    [Fact]
    public async Task The_view_and_the_listing_show_the_score_change_over_7_and_30_days()
    {
        string id = NewAccount("delta");
        var grain = fixture.Account(id);
        var day0 = fixture.AdvanceToNextDay();
        await Scenario.UsedToday(grain, id, day0);                                       // 70
        var view = (await grain.GetView())!;
        // Younger than the window: measured against the first score.
        Assert.Equal((0.0, 0.0), (view.Health.Delta7d!.Value, view.Health.Delta30d!.Value));

        fixture.Time.Advance(TimeSpan.FromDays(3));
        await grain.Reevaluate();                                                        // 58: silence 3 days
        view = (await grain.GetView())!;
        Assert.Equal(58, view.Health.Score);
        Assert.Equal((-12.0, -12.0), (view.Health.Delta7d!.Value, view.Health.Delta30d!.Value));

        fixture.Time.Advance(TimeSpan.FromDays(6));
        await grain.Reevaluate();                                                        // 17.5: silence 9 days, trend 0
        view = (await grain.GetView())!;
        Assert.Equal(17.5, view.Health.Score);
        // 7 days ago (day 2) the close was day 0's 70.
        Assert.Equal((-52.5, -52.5), (view.Health.Delta7d!.Value, view.Health.Delta30d!.Value));

        fixture.Time.Advance(TimeSpan.FromDays(2));
        Assert.False(await grain.Reevaluate());                                          // still 17.5
        view = (await grain.GetView())!;
        // Day 11: 7 days ago is day 4, whose close is day 3's 58; 30 days ago predates the account.
        Assert.Equal((-40.5, -52.5), (view.Health.Delta7d!.Value, view.Health.Delta30d!.Value));

        // The listing carries the same deltas and the 7-day sparkline (closes of days 4..10, then now).
        var entry = await fixture.IndexEntryWhen(id, e => e.Delta7d == -40.5);
        Assert.Equal((-40.5, -52.5), (entry!.Delta7d!.Value, entry.Delta30d!.Value));
        Assert.Equal(new[] { 58, 58, 58, 58, 58, 17.5, 17.5, 17.5 }, entry.Trend);
        // A fall of 10+ points within 7 days: the "dropping" watchlist has it.
        var dropping = await fixture.WatchlistWhen("dropping", w => w.Any(e => e.AccountId == id && e.Delta7d == -40.5));
        Assert.Equal(-40.5, dropping.Single(e => e.AccountId == id).Delta7d);
    }
}
