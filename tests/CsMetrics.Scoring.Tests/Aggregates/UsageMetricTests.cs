using CsMetrics.Scoring.Aggregates;
using CsMetrics.Scoring.Scorecards;
using CsMetrics.Scoring.Signals;
using CsMetrics.Scoring.Tests.Support;
using static CsMetrics.Scoring.Tests.Support.Sig;

namespace CsMetrics.Scoring.Tests.Aggregates;

public class UsageMetricTests
{
    [Theory]
    [InlineData(Metric.ActiveUsersPerSeat)]
    [InlineData(Metric.UsageTrend)]
    [InlineData(Metric.DaysSinceLastUsage)]
    [InlineData(Metric.KeyFeaturesUsed)]
    public void Usage_metrics_have_no_value_without_usage(Metric metric)
    {
        var a = new AccountAggregates()
            .With(Ticket(T0, "T-1", TicketStatus.Opened), Revenue(T0, 100), Nps(T0, 9, "r1"));
        a.AssertNoValue(metric, seats: 10);
    }

    // ---- active_users_per_seat ----------------------------------------------------------

    [Fact]
    public void Active_users_per_seat_counts_distinct_users_in_the_window()
    {
        var a = new AccountAggregates().With(
            Usage(DaysAgo(0), "alice"),
            Usage(DaysAgo(1), "alice"),
            Usage(DaysAgo(2), "bob"),
            Usage(DaysAgo(6), "carol"),
            Usage(DaysAgo(7), "dave"),  // outside a 7-day window (today-6 .. today)
            Usage(DaysAgo(20), "erin"));

        a.AssertValue(Metric.ActiveUsersPerSeat, 3 / 10.0, windowDays: 7, seats: 10);
        a.AssertValue(Metric.ActiveUsersPerSeat, 4 / 10.0, windowDays: 8, seats: 10);
        a.AssertValue(Metric.ActiveUsersPerSeat, 5 / 10.0, windowDays: 30, seats: 10);
        a.AssertValue(Metric.ActiveUsersPerSeat, 5 / 4.0, windowDays: 30, seats: 4); // more users than seats: not clamped here
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Active_users_per_seat_has_no_value_when_seats_are_unknown(int seats)
    {
        var a = new AccountAggregates().With(Usage(T0, "alice"));
        a.AssertNoValue(Metric.ActiveUsersPerSeat, windowDays: 7, seats: seats);
        // the other usage metrics are unaffected by seats
        a.AssertValue(Metric.DaysSinceLastUsage, 0, seats: seats);
        a.AssertValue(Metric.UsageTrend, 1.0, seats: seats);
    }

    [Fact]
    public void A_user_who_comes_back_is_counted_once_on_their_latest_day()
    {
        var a = new AccountAggregates().With(
            Usage(DaysAgo(20), "alice"),
            Usage(DaysAgo(1), "alice"));

        a.AssertValue(Metric.ActiveUsersPerSeat, 1 / 5.0, windowDays: 30, seats: 5);
        a.AssertValue(Metric.ActiveUsersPerSeat, 1 / 5.0, windowDays: 7, seats: 5);
        Assert.Equal(1, a.TrackedUsers);
    }

    [Fact]
    public void Out_of_order_usage_from_three_days_ago_counts_in_a_seven_day_window()
    {
        var a = new AccountAggregates().With(Usage(T0, "alice"));
        // arrives later, but happened 3 days ago
        a.With(Usage(DaysAgo(3), "bob"), arrival: T0.AddHours(2));

        a.AssertValue(Metric.ActiveUsersPerSeat, 2 / 10.0, windowDays: 7, seats: 10);
        a.AssertValue(Metric.ActiveUsersPerSeat, 1 / 10.0, now: T0.AddDays(4), windowDays: 7, seats: 10);
        a.AssertValue(Metric.DaysSinceLastUsage, 0);
    }

    [Fact]
    public void An_older_event_of_a_known_user_does_not_move_them_back()
    {
        var a = new AccountAggregates().With(
            Usage(T0, "alice"),
            Usage(DaysAgo(10), "alice"));

        // alice is still last seen today: one user in both windows, not two
        a.AssertValue(Metric.ActiveUsersPerSeat, 1.0, windowDays: 7, seats: 1);
        a.AssertValue(Metric.ActiveUsersPerSeat, 1.0, windowDays: 30, seats: 1);
        a.AssertValue(Metric.DaysSinceLastUsage, 0);
    }

    [Fact]
    public void Usage_without_a_user_counts_as_usage_but_not_as_an_active_user()
    {
        var a = new AccountAggregates().With(Usage(T0, user: null));
        a.AssertValue(Metric.ActiveUsersPerSeat, 0, windowDays: 7, seats: 10);
        a.AssertValue(Metric.UsageTrend, 1.0);
        Assert.Equal(0, a.TrackedUsers);
    }

    // ---- usage_trend ---------------------------------------------------------------------

    [Fact]
    public void Usage_trend_compares_the_last_week_with_the_weekly_average_of_the_28_days_before()
    {
        var a = new AccountAggregates().With(
            Usage(DaysAgo(20), count: 40),  // prior 28 days: weekly average 10
            Usage(DaysAgo(2), count: 5));   // last 7 days: 5

        a.AssertValue(Metric.UsageTrend, 0.5);
    }

    [Fact]
    public void Usage_trend_window_boundaries()
    {
        var a = new AccountAggregates().With(
            Usage(DaysAgo(6), count: 3),   // last 7 days: today-6 .. today (+ tomorrow)
            Usage(DaysAgo(7), count: 4),   // first day of the prior 28
            Usage(DaysAgo(34), count: 4),  // last day of the prior 28
            Usage(DaysAgo(35), count: 1000)); // too old: counted nowhere

        // last7 = 3, prior28 = 8 → weekly average 2
        a.AssertValue(Metric.UsageTrend, 1.5);
    }

    [Fact]
    public void Usage_trend_is_flat_for_a_new_account_and_zero_once_usage_is_long_gone()
    {
        var young = new AccountAggregates().With(Usage(DaysAgo(1)));
        young.AssertValue(Metric.UsageTrend, 1.0);

        var gone = new AccountAggregates().With(Usage(DaysAgo(60)));
        gone.AssertValue(Metric.UsageTrend, 0.0); // still a value: silence is scored, not left out
    }

    [Fact]
    public void Usage_trend_falls_to_zero_when_usage_stops()
    {
        var a = new AccountAggregates();
        for (int d = 0; d < 35; d++)
        {
            a.With(Usage(DaysAgo(d), count: 7));
        }
        a.AssertValue(Metric.UsageTrend, 1.0);
        // 3 days later: the last 7 days hold 4 active days (28), the prior 28 hold 28 active days (196 → 49/week)
        a.AssertValue(Metric.UsageTrend, 28 / 49.0, now: T0.AddDays(3));
        a.AssertValue(Metric.UsageTrend, 0.0, now: T0.AddDays(8));
        a.AssertValue(Metric.UsageTrend, 0.0, now: T0.AddDays(100));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void A_usage_count_below_one_counts_as_one_event(int count)
    {
        var a = new AccountAggregates().With(
            Usage(DaysAgo(10), count: 4), // weekly average 1
            Usage(DaysAgo(1), count: count));
        a.AssertValue(Metric.UsageTrend, 1.0);
    }

    [Fact]
    public void Huge_usage_counts_saturate_instead_of_wrapping_negative()
    {
        var a = new AccountAggregates();
        // 2,200 × 1,000,000 events on one day exceeds int.MaxValue
        for (int i = 0; i < 2_200; i++)
        {
            a.With(Usage(T0, user: null, count: SignalLimits.MaxUsageCount));
        }
        a.With(Usage(DaysAgo(10), user: null, count: 4));

        double? trend = a.Read(Metric.UsageTrend);
        Assert.NotNull(trend);
        Assert.True(trend > 1.0, $"trend should be far above flat, was {trend}");
    }

    // ---- days_since_last_usage -----------------------------------------------------------

    [Fact]
    public void Days_since_last_usage_counts_whole_days_and_grows_with_now()
    {
        var a = new AccountAggregates().With(Usage(DaysAgo(3)));
        a.AssertValue(Metric.DaysSinceLastUsage, 3);
        a.AssertValue(Metric.DaysSinceLastUsage, 10, now: T0.AddDays(7));
        // an older event arriving later does not change it
        a.With(Usage(DaysAgo(9)));
        a.AssertValue(Metric.DaysSinceLastUsage, 3);
        // a newer one does
        a.With(Usage(DaysAgo(1)));
        a.AssertValue(Metric.DaysSinceLastUsage, 1);
    }

    [Fact]
    public void Days_since_last_usage_is_never_negative_for_slightly_future_timestamps()
    {
        var a = new AccountAggregates().With(Usage(T0.AddHours(20)));
        a.AssertValue(Metric.DaysSinceLastUsage, 0);
    }

    // ---- key_features_used ---------------------------------------------------------------

    private static readonly string[] Keys = ["reports.export", "dashboards.create", "api.call"];

    [Fact]
    public void Key_features_used_counts_distinct_key_features_in_the_window()
    {
        var a = new AccountAggregates().With(
            Usage(DaysAgo(1), feature: "reports.export"),
            Usage(DaysAgo(2), feature: "reports.export"),
            Usage(DaysAgo(5), feature: "dashboards.create"),
            Usage(DaysAgo(40), feature: "api.call"),
            Usage(DaysAgo(1), feature: "not.a.key.feature"));

        a.AssertValue(Metric.KeyFeaturesUsed, 2, windowDays: 30, keyFeatures: Keys);
        a.AssertValue(Metric.KeyFeaturesUsed, 3, windowDays: 60, keyFeatures: Keys);
        a.AssertValue(Metric.KeyFeaturesUsed, 1, windowDays: 3, keyFeatures: Keys);
    }

    [Fact]
    public void Without_key_features_every_feature_counts()
    {
        var a = new AccountAggregates().With(
            Usage(DaysAgo(1), feature: "reports.export"),
            Usage(DaysAgo(1), feature: "anything.else"),
            Usage(DaysAgo(40), feature: "old.feature"),
            Usage(DaysAgo(1), feature: null));

        a.AssertValue(Metric.KeyFeaturesUsed, 2, windowDays: 30, keyFeatures: []);
    }

    [Fact]
    public void A_feature_used_again_moves_into_the_window_and_an_older_use_does_not_move_it_out()
    {
        var a = new AccountAggregates().With(Usage(DaysAgo(40), feature: "api.call"));
        a.AssertValue(Metric.KeyFeaturesUsed, 0, windowDays: 30, keyFeatures: Keys);
        a.With(Usage(DaysAgo(2), feature: "api.call"));
        a.AssertValue(Metric.KeyFeaturesUsed, 1, windowDays: 30, keyFeatures: Keys);
        a.With(Usage(DaysAgo(50), feature: "api.call"));
        a.AssertValue(Metric.KeyFeaturesUsed, 1, windowDays: 30, keyFeatures: Keys);
    }

    [Fact]
    public void Key_features_used_is_zero_not_missing_when_only_other_features_are_used()
    {
        var a = new AccountAggregates().With(Usage(T0, feature: "other"));
        a.AssertValue(Metric.KeyFeaturesUsed, 0, windowDays: 30, keyFeatures: Keys);
    }

    // ---- misc ----------------------------------------------------------------------------

    [Fact]
    public void Signal_counts_and_last_signal_time_track_applied_signals()
    {
        var a = new AccountAggregates();
        Assert.False(a.HasData(SignalType.Usage));
        Assert.Null(a.LastSignalAt);

        a.With(Usage(DaysAgo(1)), Usage(T0), Usage(DaysAgo(3)));
        Assert.Equal(3, a.SignalCount(SignalType.Usage));
        Assert.True(a.HasData(SignalType.Usage));
        Assert.False(a.HasData(SignalType.Ticket));
        Assert.Equal(T0, a.LastSignalAt);
    }
}
