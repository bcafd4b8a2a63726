using CsMetrics.Scoring.Aggregates;
using CsMetrics.Scoring.Scorecards;
using CsMetrics.Scoring.Tests.Support;
using static CsMetrics.Scoring.Tests.Support.Sig;

namespace CsMetrics.Scoring.Tests.Aggregates;

public class DailyWindowTests
{
    private static readonly int Today = DailyWindow.DayOf(T0);

    [Fact]
    public void Day_numbers_are_utc_days()
    {
        var local = new DateTimeOffset(2025, 3, 10, 23, 30, 0, TimeSpan.FromHours(-5)); // 04:30 UTC on the 11th
        Assert.Equal(Today + 1, DailyWindow.DayOf(local));
        Assert.Equal(Today, DailyWindow.DayOf(new DateTimeOffset(2025, 3, 10, 0, 0, 0, TimeSpan.Zero)));
        Assert.Equal(Today, DailyWindow.DayOf(new DateTimeOffset(2025, 3, 10, 23, 59, 59, TimeSpan.Zero)));
        Assert.Equal(DailyWindow.DayOf(T0), DailyWindow.DayOf(T0.UtcTicks));
    }

    [Fact]
    public void Sum_covers_both_ends_and_ignores_days_never_written()
    {
        var w = new DailyWindow();
        for (int d = 0; d < 10; d++)
        {
            w.Slot(Today - d, Today, out bool inRange).UsageEvents = d + 1;
            Assert.True(inRange);
        }
        Assert.Equal(1 + 2 + 3, w.Sum(Today - 2, Today).UsageEvents);
        Assert.Equal(55, w.Sum(Today - 100, Today + 5).UsageEvents);
        Assert.Equal(0, w.Sum(Today + 1, Today + 30).UsageEvents);
    }

    [Fact]
    public void A_day_older_than_the_ring_is_rejected()
    {
        var w = new DailyWindow();
        w.Slot(Today - DailyWindow.Days, Today, out bool inRange).UsageEvents = 7;
        Assert.False(inRange);
        w.Slot(Today - DailyWindow.Days + 1, Today, out inRange).UsageEvents = 3;
        Assert.True(inRange);
        Assert.Equal(3, w.Sum(Today - 500, Today).UsageEvents);
    }

    [Fact]
    public void A_slot_is_recycled_when_a_newer_day_claims_it_and_the_old_day_is_then_refused()
    {
        var w = new DailyWindow();
        w.Slot(Today, Today, out _).UsageEvents = 5;
        int later = Today + DailyWindow.Days; // same slot
        w.Slot(later, later, out bool inRange).UsageEvents += 1;
        Assert.True(inRange);
        Assert.Equal(1, w.Sum(later, later).UsageEvents);
        Assert.Equal(0, w.Sum(Today, Today).UsageEvents);
        w.Slot(Today, Today, out inRange); // a stale newestDay cannot revive the old day
        Assert.False(inRange);
    }

    [Fact]
    public void Old_events_beyond_the_ring_are_dropped_from_windowed_metrics_but_update_point_in_time_ones()
    {
        var a = new AccountAggregates().With(Usage(T0, "alice"), Csat(T0, 5));
        a.With(Usage(DaysAgo(DailyWindow.Days + 5), "bob", "api.call", count: 50), Csat(DaysAgo(DailyWindow.Days + 5), 1));

        a.AssertValue(Metric.CsatPositiveRate, 100, windowDays: MetricInfo.MaxWindowDays);
        a.AssertValue(Metric.ActiveUsersPerSeat, 0.5, windowDays: MetricInfo.MaxWindowDays, seats: 2);
        Assert.Equal(2, a.TrackedUsers); // bob is known, just not active in any window
        a.AssertValue(Metric.KeyFeaturesUsed, 0, windowDays: MetricInfo.MaxWindowDays, keyFeatures: ["api.call"]);
    }

    [Fact]
    public void The_ring_rolls_forward_without_mixing_days()
    {
        var a = new AccountAggregates();
        // one CSAT per day for a year: every 7-day window always holds exactly 7 answers
        for (int d = 365; d >= 0; d--)
        {
            a.With(Csat(DaysAgo(d), d % 2 == 0 ? 5 : 1));
        }
        a.AssertValue(Metric.CsatPositiveRate, 4 * 100 / 7.0, windowDays: 7);
        long answers = a.Window.Sum(Today - 119, Today).CsatAnswers;
        Assert.Equal(DailyWindow.Days, answers);
    }
    [Fact]
    public void The_vector_sum_equals_the_field_by_field_sum_past_the_int_range()
    {
        Assert.Equal(36, System.Runtime.CompilerServices.Unsafe.SizeOf<DayBucket>());
        Assert.Equal(64, System.Runtime.CompilerServices.Unsafe.SizeOf<DayTotals>());
        var random = new Random(7);
        for (int n = 0; n <= 120; n += 7)
        {
            var buckets = new DayBucket[n];
            for (int i = 0; i < n; i++)
            {
                buckets[i] = new DayBucket
                {
                    Day = Today - n + i,
                    UsageEvents = i % 5 == 0 ? int.MaxValue : random.Next(),
                    UsersLastSeen = random.Next(1_000),
                    TicketsSolved = random.Next(50),
                    TicketsReopened = random.Next(10),
                    CsatAnswers = random.Next(100),
                    CsatPositive = random.Next(60),
                    CesAnswers = random.Next(30),
                    CesSum = int.MaxValue - random.Next(5),
                };
            }
            var vector = DailyWindow.SumRange(buckets);
            var scalar = DailyWindow.SumRangeScalar(buckets);
            Assert.Equal(scalar, vector);
            Assert.Equal(buckets.Sum(b => (long)b.UsageEvents), vector.UsageEvents);
            Assert.Equal(buckets.Sum(b => (long)b.UsersLastSeen), vector.UsersLastSeen);
            Assert.Equal(buckets.Sum(b => (long)b.TicketsReopened), vector.TicketsReopened);
            Assert.Equal(buckets.Sum(b => (long)b.CesSum), vector.CesSum);
        }
    }

    [Fact]
    public void A_repeated_sum_sees_every_write_in_between_and_never_another_windows_sum()
    {
        var a = new DailyWindow();
        var b = new DailyWindow();
        a.Slot(Today, Today, out _).CsatAnswers = 3;
        b.Slot(Today, Today, out _).CsatAnswers = 5;
        Assert.Equal(3, a.Sum(Today - 89, Today + 1).CsatAnswers);
        Assert.Equal(3, a.Sum(Today - 89, Today + 1).CsatAnswers);
        Assert.Equal(5, b.Sum(Today - 89, Today + 1).CsatAnswers);

        a.Slot(Today, Today, out _).CsatAnswers++;                 // the same day again
        Assert.Equal(4, a.Sum(Today - 89, Today + 1).CsatAnswers);
        a.Slot(Today - 30, Today, out _).CsatAnswers = 10;          // an older day claimed
        Assert.Equal(14, a.Sum(Today - 89, Today + 1).CsatAnswers);
        Assert.Equal(4, a.Sum(Today - 29, Today + 1).CsatAnswers);  // another range
        Assert.Equal(5, b.Sum(Today - 89, Today + 1).CsatAnswers);
    }
}
