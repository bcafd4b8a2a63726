using CsMetrics.Contracts.Index;
using CsMetrics.Contracts.Playbooks;
using CsMetrics.Contracts.Watchlists;

namespace CsMetrics.Server.Tests.Playbooks;

/// <summary>The trigger conditions, on plain entries.</summary>
public sealed class PlaybookRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private static IndexEntry Entry(double? score = 50, string? band = "yellow", double? delta7d = 0, DateTimeOffset? lastUsage = null) =>
        new("a", "A", "csm", "smb", score, band, null, Now, delta7d, null, "because", [], lastUsage, 1);

    [Fact]
    public void Band_falls_holds_in_the_target_band_and_from_restricts_the_start()
    {
        var t = new PlaybookTrigger(PlaybookRules.BandFalls, To: "red");
        Assert.True(PlaybookRules.Holds(t, Entry(band: "red"), Now, []));
        Assert.False(PlaybookRules.Holds(t, Entry(band: "yellow"), Now, []));
        Assert.True(PlaybookRules.StartCounts(t, null));
        Assert.True(PlaybookRules.StartCounts(t, Entry(band: "green")));

        var fromYellow = t with { From = "yellow" };
        Assert.True(PlaybookRules.StartCounts(fromYellow, Entry(band: "yellow")));
        Assert.False(PlaybookRules.StartCounts(fromYellow, Entry(band: "green")));
        Assert.False(PlaybookRules.StartCounts(fromYellow, null));
    }

    [Fact]
    public void Score_drop_uses_delta7d()
    {
        var t = new PlaybookTrigger(PlaybookRules.ScoreDrop, Points: 10);
        Assert.True(PlaybookRules.Holds(t, Entry(delta7d: -10), Now, []));
        Assert.True(PlaybookRules.Holds(t, Entry(delta7d: -25.5), Now, []));
        Assert.False(PlaybookRules.Holds(t, Entry(delta7d: -9.9), Now, []));
        Assert.False(PlaybookRules.Holds(t, Entry(delta7d: null), Now, []));
    }

    [Fact]
    public void Enters_watchlist_uses_the_watchlist_filter()
    {
        var t = new PlaybookTrigger(PlaybookRules.EntersWatchlist, WatchlistId: "at-risk");
        Assert.True(PlaybookRules.Holds(t, Entry(band: "red"), Now, WatchlistRules.BuiltIns));
        Assert.False(PlaybookRules.Holds(t, Entry(band: "green"), Now, WatchlistRules.BuiltIns));
        Assert.False(PlaybookRules.Holds(t with { WatchlistId = "gone" }, Entry(band: "red"), Now, WatchlistRules.BuiltIns));
    }

    [Fact]
    public void No_usage_counts_days_since_the_last_usage()
    {
        var t = new PlaybookTrigger(PlaybookRules.NoUsage, Days: 7);
        Assert.True(PlaybookRules.Holds(t, Entry(lastUsage: Now.AddDays(-7)), Now, []));
        Assert.False(PlaybookRules.Holds(t, Entry(lastUsage: Now.AddDays(-6.9)), Now, []));
        Assert.False(PlaybookRules.Holds(t, Entry(lastUsage: null), Now, [])); // never used: new, not silent
    }

    [Fact]
    public void Nps_detractor_holds_for_the_period_after_the_latest_detractor_answer()
    {
        var t = new PlaybookTrigger(PlaybookRules.NpsDetractor);
        Assert.True(PlaybookRules.Holds(t, Entry() with { LatestDetractorAt = Now.AddDays(-29.9) }, Now, []));
        Assert.False(PlaybookRules.Holds(t, Entry() with { LatestDetractorAt = Now.AddDays(-30) }, Now, [])); // default 30 days
        Assert.False(PlaybookRules.Holds(t, Entry(), Now, []));
        var week = t with { Days = 7 };
        Assert.True(PlaybookRules.Holds(week, Entry() with { LatestDetractorAt = Now.AddDays(-6) }, Now, []));
        Assert.False(PlaybookRules.Holds(week, Entry() with { LatestDetractorAt = Now.AddDays(-8) }, Now, []));
        Assert.False(PlaybookRules.IsTimed(new PlaybookTrigger(PlaybookRules.BandFalls, To: "red")));
        Assert.True(PlaybookRules.IsTimed(t));
    }

    [Fact]
    public void Urgent_unanswered_holds_once_the_oldest_unanswered_urgent_ticket_waited_the_hours()
    {
        var t = new PlaybookTrigger(PlaybookRules.UrgentUnanswered, Hours: 4);
        Assert.True(PlaybookRules.Holds(t, Entry() with { UrgentUnansweredSince = Now.AddHours(-4) }, Now, []));
        Assert.False(PlaybookRules.Holds(t, Entry() with { UrgentUnansweredSince = Now.AddHours(-3.9) }, Now, []));
        Assert.False(PlaybookRules.Holds(t, Entry(), Now, []));
        Assert.Equal("an urgent ticket without first response for 4 hours", PlaybookRules.Describe(t));
    }
}
