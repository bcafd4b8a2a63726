using CsMetrics.Scoring.Aggregates;
using CsMetrics.Scoring.Scorecards;
using CsMetrics.Scoring.Signals;
using CsMetrics.Scoring.Tests.Support;
using static CsMetrics.Scoring.Tests.Support.Sig;

namespace CsMetrics.Scoring.Tests.Aggregates;

/// <summary>
/// Dedup is by signal id over the server's arrival clock. The window (<see cref="SeenIds.WindowDays"/>):
/// an id is remembered on its arrival day and the 7 days after it, so a re-send whose arrival
/// day is at most 7 days later is always rejected; once some signal arrives 8 or more days
/// later, the id is forgotten and a re-send is applied again.
/// </summary>
public class DedupTests
{
    [Fact]
    public void The_window_is_seven_days()
    {
        Assert.Equal(7, SeenIds.WindowDays);
    }

    [Fact]
    public void The_same_id_twice_is_applied_once()
    {
        var a = new AccountAggregates();
        var s = Usage(T0, "alice", "api.call", count: 5, id: "dup-1");
        Assert.True(a.Apply(s, T0));
        Assert.False(a.Apply(s, T0.AddMinutes(1)));

        Assert.Equal(1, a.SignalCount(SignalType.Usage));
        a.AssertValue(Metric.ActiveUsersPerSeat, 0.5, windowDays: 7, seats: 2);
        Assert.Equal(5, a.Window.Sum(DailyWindow.DayOf(T0), DailyWindow.DayOf(T0)).UsageEvents);
        Assert.True(a.HasSeen("dup-1"));
        Assert.False(a.HasSeen("other"));
    }

    [Fact]
    public void A_duplicate_with_a_different_payload_is_still_rejected_and_changes_nothing()
    {
        var a = new AccountAggregates().With(Ticket(DaysAgo(1), "T-1", TicketStatus.Opened, TicketPriority.Low, id: "x"));
        var before = a.ToBytes();

        Assert.False(a.Apply(Ticket(T0, "T-1", TicketStatus.Opened, TicketPriority.Urgent, id: "x"), T0));
        Assert.False(a.Apply(Revenue(T0, 99, id: "x"), T0));

        a.AssertValue(Metric.OpenTicketsWeighted, 0.5);
        a.AssertNoValue(Metric.MrrChangePct);
        Assert.Equal(1, a.TotalSignals());
        Assert.Equal(before, a.ToBytes());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    [InlineData(7)]
    public void A_resend_within_seven_days_of_arrival_is_rejected(int daysLater)
    {
        var a = new AccountAggregates();
        Assert.True(a.Apply(Nps(T0, 10, "r1", id: "n-1"), T0));
        // other traffic in between keeps rolling the memory forward
        for (int d = 1; d <= daysLater; d++)
        {
            a.With(Usage(T0.AddDays(d)), arrival: T0.AddDays(d));
        }
        Assert.False(a.Apply(Nps(T0, 10, "r1", id: "n-1"), T0.AddDays(daysLater).AddHours(11)));
        Assert.Equal(1, a.SignalCount(SignalType.Survey));
    }

    [Theory]
    [InlineData(8)]
    [InlineData(30)]
    public void An_id_is_forgotten_eight_or_more_days_after_it_arrived(int daysLater)
    {
        var a = new AccountAggregates();
        var s = Csat(T0, 5);
        Assert.True(a.Apply(s, T0));
        Assert.True(a.Apply(s, T0.AddDays(daysLater)));
        Assert.Equal(2, a.SignalCount(SignalType.Survey));
    }

    [Fact]
    public void Dedup_ages_by_arrival_time_not_by_the_signal_timestamp()
    {
        var a = new AccountAggregates();
        // the signal itself is 60 days old, but it arrived now: it is remembered for a week from now
        var old = Usage(DaysAgo(60), id: "late");
        Assert.True(a.Apply(old, T0));
        Assert.False(a.Apply(old, T0.AddDays(7)));
        Assert.True(a.Apply(old, T0.AddDays(8)));
    }

    [Fact]
    public void A_newer_arrival_forgets_every_id_older_than_the_window()
    {
        var a = new AccountAggregates();
        Assert.True(a.Apply(Usage(T0, id: "a"), T0));
        Assert.True(a.Apply(Usage(T0, id: "b"), T0.AddDays(3)));
        Assert.Equal(2, a.Seen.Count);

        Assert.True(a.Apply(Usage(T0, id: "c"), T0.AddDays(8)));  // day 0 falls out: "a" forgotten
        Assert.Equal(2, a.Seen.Count);
        Assert.True(a.Apply(Usage(T0, id: "a"), T0.AddDays(8)));
        Assert.False(a.Apply(Usage(T0, id: "b"), T0.AddDays(10))); // day 3 is still inside
    }

    [Fact]
    public void An_arrival_clock_that_steps_back_does_not_wipe_newer_memory()
    {
        var a = new AccountAggregates();
        Assert.True(a.Apply(Usage(T0, id: "recent"), T0));
        // a signal stamped with an arrival 8 days earlier (e.g. replayed from an old log) shares the ring slot
        Assert.True(a.Apply(Usage(DaysAgo(8), id: "replayed"), T0.AddDays(-8)));
        Assert.False(a.Apply(Usage(T0, id: "recent"), T0));
    }

    [Fact]
    public void HasSeen_is_read_only()
    {
        var a = new AccountAggregates();
        Assert.False(a.HasSeen("x"));
        Assert.False(a.HasSeen("x"));
        Assert.True(a.Apply(Usage(T0, id: "x"), T0));
        Assert.True(a.HasSeen("x"));
    }

    [Fact]
    public void Ids_are_compared_exactly()
    {
        var a = new AccountAggregates();
        Assert.True(a.Apply(Usage(T0, id: "Id-1"), T0));
        Assert.True(a.Apply(Usage(T0, id: "id-1"), T0));
        Assert.True(a.Apply(Usage(T0, id: "Id-1 "), T0));
        Assert.Equal(3, a.SignalCount(SignalType.Usage));
    }

    [Fact]
    public void A_steady_account_rotates_its_days_without_allocating_and_still_forgets_old_ids()
    {
        var seen = new SeenIds();
        ulong next = 1;
        // Three weeks of 100 ids a day: every day slot has been used and reused.
        for (int day = 1; day <= 21; day++)
        {
            for (int i = 0; i < 100; i++)
            {
                Assert.True(seen.TryAdd(next++, day));
            }
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            Assert.True(seen.TryAdd(next++, 22));
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        // Day 14's ids (slot reused for day 22) are gone, day 15's are still remembered.
        Assert.False(seen.Contains(1301UL));
        Assert.True(seen.Contains(1401UL));
        Assert.Equal(800, seen.Count);
    }
}
