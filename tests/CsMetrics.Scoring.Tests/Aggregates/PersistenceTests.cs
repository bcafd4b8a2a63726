using CsMetrics.Scoring.Aggregates;
using CsMetrics.Scoring.Scorecards;
using CsMetrics.Scoring.Signals;
using CsMetrics.Scoring.Tests.Support;
using static CsMetrics.Scoring.Tests.Support.Sig;

namespace CsMetrics.Scoring.Tests.Aggregates;

public class PersistenceTests
{
    private static readonly string[] Keys = ["reports.export", "api.call", "alerts.configure"];
    private static readonly int[] Windows = [1, 7, 30, 35, 90, 120];
    private static readonly int[] Seats = [0, 3, 25];
    private static readonly DateTimeOffset[] Nows = [T0, T0.AddDays(3), T0.AddDays(20), T0.AddDays(-40)];

    /// <summary>An account with every kind of signal, out-of-order arrivals and ids over several arrival days.</summary>
    internal static AccountAggregates Rich()
    {
        var a = new AccountAggregates();
        var arrival = T0.AddDays(-5);
        void Add(Signal s)
        {
            Assert.True(a.Apply(s, arrival));
            arrival = arrival.AddHours(3);
        }

        for (int d = 0; d < 40; d += 3)
        {
            Add(Usage(DaysAgo(d), $"u{d % 7}", Keys[d % Keys.Length], count: d + 1));
        }
        Add(Usage(DaysAgo(2), "late-user", "other.feature"));
        Add(Ticket(DaysAgo(30), "T-1", TicketStatus.Opened, TicketPriority.High));
        Add(Ticket(DaysAgo(29.5), "T-1", TicketStatus.FirstResponse, TicketPriority.High));
        Add(Ticket(DaysAgo(20), "T-1", TicketStatus.Solved, TicketPriority.High));
        Add(Ticket(DaysAgo(10), "T-1", TicketStatus.Reopened, TicketPriority.Urgent));
        Add(Ticket(DaysAgo(4), "T-2", TicketStatus.Opened, TicketPriority.Low));
        Add(Ticket(DaysAgo(3.9), "T-2", TicketStatus.FirstResponse, TicketPriority.Low));
        Add(Ticket(DaysAgo(5), "T-3", TicketStatus.Opened));
        Add(Ticket(DaysAgo(1), "T-3", TicketStatus.Closed));
        Add(Nps(DaysAgo(50), 3, "r1"));
        Add(Nps(DaysAgo(5), 10, "r1"));
        Add(Nps(DaysAgo(8), 7, "r2"));
        Add(Nps(DaysAgo(100), 9));
        Add(Csat(DaysAgo(2), 5));
        Add(Csat(DaysAgo(40), 2));
        Add(Ces(DaysAgo(3), 6));
        Add(Ces(DaysAgo(100), 2));
        Add(Revenue(DaysAgo(150), 900));
        Add(Revenue(DaysAgo(45), 1100.55m));
        Add(Revenue(DaysAgo(80), 1000));
        return a;
    }

    private static void AssertSameMetrics(AccountAggregates expected, AccountAggregates actual)
    {
        foreach (Metric m in Enum.GetValues<Metric>())
        {
            foreach (int w in Windows)
            {
                foreach (int seats in Seats)
                {
                    foreach (var now in Nows)
                    {
                        foreach (IReadOnlyList<string> keys in new[] { Keys, Array.Empty<string>() })
                        {
                            Assert.Equal(expected.Read(m, now, w, seats, keys), actual.Read(m, now, w, seats, keys));
                        }
                    }
                }
            }
        }
        foreach (SignalType t in Enum.GetValues<SignalType>())
        {
            Assert.Equal(expected.SignalCount(t), actual.SignalCount(t));
        }
        Assert.Equal(expected.LastSignalAt, actual.LastSignalAt);
        Assert.Equal(expected.TrackedUsers, actual.TrackedUsers);
        Assert.Equal(expected.CurrentMrr(T0), actual.CurrentMrr(T0));
        Assert.Equal(expected.Seen.Count, actual.Seen.Count);
    }

    [Fact]
    public void Round_trip_gives_identical_metric_values()
    {
        var a = Rich();
        var b = AccountAggregates.FromBytes(a.ToBytes());
        AssertSameMetrics(a, b);
        // the values are meaningful, not all "no value"
        Assert.NotNull(b.Read(Metric.OpenTicketsWeighted));
        Assert.NotNull(b.Read(Metric.FirstResponseMedianHours));
        Assert.NotNull(b.Read(Metric.MrrChangePct));
    }

    [Fact]
    public void ToBytes_writes_exactly_what_the_writer_writes_also_after_a_bigger_account_on_the_same_thread()
    {
        var big = Rich();
        var small = new AccountAggregates();
        small.Apply(Usage(T0, "alice", "reports.export", id: "s-1"), T0);
        foreach (var account in new[] { big, small, big, new AccountAggregates() })
        {
            // What ToBytes wrote before it reused a buffer per thread: a fresh stream and writer.
            using var fresh = new MemoryStream();
            using (var w = new BinaryWriter(fresh, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                account.WriteTo(w);
            }
            Assert.Equal(fresh.ToArray(), account.ToBytes());
        }
    }

    [Fact]
    public void State_saved_in_format_1_before_the_metrics_history_still_loads()
    {
        var a = Rich();
        byte[] current = a.ToBytes();
        // Format 1 = format 2 without the two new signal counts (after version, newest day, last
        // usage day, last signal ticks and the four old counts) and without the trailing history.
        using var history = new MemoryStream();
        using (var w = new BinaryWriter(history, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            a.History.Write(w);
        }
        const int newCountsAt = 1 + 4 + 4 + 8 + 4 * 8;
        byte[] v1 = [1, .. current.AsSpan(1, newCountsAt - 1), .. current.AsSpan(newCountsAt + 16, current.Length - newCountsAt - 16 - (int)history.Length)];

        var restored = AccountAggregates.FromBytes(v1);
        AssertSameMetrics(a, restored);
        Assert.Equal(int.MaxValue, restored.History.FirstDay); // no history: the catalog starts from here
        Assert.Equal(0, restored.SignalCount(SignalType.Touchpoint));
    }

    [Fact]
    public void State_whose_days_were_not_written_in_day_order_still_loads()
    {
        // Before the window went sparse it wrote its days in ring-slot order (day mod 120), which
        // is not day order where the slots wrap; now it writes them ascending. The format is the
        // same, only the order differs: any order must read back the same (here: newest first).
        var a = Rich();
        byte[] current = a.ToBytes();
        const int countAt = 1 + 4 + 4 + 8 + 6 * 8;
        const int bucketSize = 9 * 4;
        int count = BitConverter.ToInt32(current, countAt);
        Assert.True(count >= 10);
        int first = countAt + 4;
        var records = Enumerable.Range(0, count).Select(i => current.AsSpan(first + i * bucketSize, bucketSize).ToArray()).ToList();
        var otherOrder = records.OrderByDescending(r => BitConverter.ToInt32(r, 0)).ToList();
        Assert.NotEqual(records.Select(r => BitConverter.ToInt32(r, 0)), otherOrder.Select(r => BitConverter.ToInt32(r, 0)));
        byte[] old = [.. current.AsSpan(0, first), .. otherOrder.SelectMany(r => r), .. current.AsSpan(first + count * bucketSize)];
        Assert.Equal(current.Length, old.Length);

        var restored = AccountAggregates.FromBytes(old);
        AssertSameMetrics(a, restored);
        Assert.Equal(current, restored.ToBytes());
    }

    [Fact]
    public void Maps_an_account_never_filled_stay_empty_through_a_round_trip_and_fill_after_it()
    {
        var a = new AccountAggregates().With(Usage(T0, "alice", "reports.export"), Usage(DaysAgo(1), "bob"));
        byte[] bytes = a.ToBytes();
        var b = AccountAggregates.FromBytes(bytes);
        Assert.Equal(bytes, b.ToBytes());
        Assert.Empty(b.History.Touchpoints);
        Assert.Empty(b.History.Articles);
        Assert.Empty(b.History.NpsAnswers);
        Assert.Empty(b.History.Surveys);
        Assert.Empty(b.History.Reopens);
        Assert.Equal(0, b.History.SelfServiceUserDays.Count);
        Assert.Null(b.Read(Metric.DaysSinceLastTouchpoint));

        // The same signals on the original and on the restored account: same state, same bytes.
        Signal[] more =
        [
            Touchpoint(DaysAgo(3), TouchpointKind.Qbr), Touchpoint(DaysAgo(1), TouchpointKind.Call),
            SelfService(DaysAgo(2), "carol", "kb-7", SelfServiceAction.Helpful),
            Nps(DaysAgo(4), 9, "r1"), Csat(DaysAgo(2), 5),
            Ticket(DaysAgo(6), "T-9", TicketStatus.Opened), Ticket(DaysAgo(5), "T-9", TicketStatus.Solved), Ticket(DaysAgo(4), "T-9", TicketStatus.Reopened),
        ];
        a.With(more);
        b.With(more);
        Assert.Equal(a.ToBytes(), b.ToBytes());
        Assert.Equal(2, b.History.Touchpoints.Count);
        Assert.Single(b.History.Articles);
        Assert.Single(b.History.NpsAnswers);
        Assert.Single(b.History.Surveys);
        Assert.Single(b.History.Reopens);
        Assert.Equal(1, b.History.SelfServiceUserDays.Count);
        Assert.Equal(1, b.Read(Metric.DaysSinceLastTouchpoint));
        var c = AccountAggregates.FromBytes(b.ToBytes());
        Assert.Equal(b.ToBytes(), c.ToBytes());
        AssertSameMetrics(b, c);
    }

    [Fact]
    public void Round_trip_is_byte_stable()
    {
        var bytes = Rich().ToBytes();
        Assert.Equal(bytes, AccountAggregates.FromBytes(bytes).ToBytes());
    }

    [Fact]
    public void Round_trip_keeps_the_dedup_memory()
    {
        var a = new AccountAggregates();
        Assert.True(a.Apply(Usage(T0, id: "day0"), T0));
        Assert.True(a.Apply(Usage(T0, id: "day3"), T0.AddDays(3)));

        var b = AccountAggregates.FromBytes(a.ToBytes());
        Assert.True(b.HasSeen("day0"));
        Assert.True(b.HasSeen("day3"));
        Assert.False(b.Apply(Usage(T0, id: "day0"), T0.AddDays(4)));
        Assert.False(b.Apply(Usage(T0, id: "day3"), T0.AddDays(4)));
        Assert.Equal(2, b.SignalCount(SignalType.Usage));

        // and it keeps ageing the same way
        Assert.True(b.Apply(Usage(T0, id: "day0"), T0.AddDays(8)));
        Assert.False(b.Apply(Usage(T0, id: "day3"), T0.AddDays(8)));
    }

    [Fact]
    public void A_restored_account_keeps_evolving_exactly_like_the_original()
    {
        var a = Rich();
        var b = AccountAggregates.FromBytes(a.ToBytes());

        Signal[] more =
        [
            Ticket(T0, "T-1", TicketStatus.Solved, TicketPriority.Urgent),
            Ticket(T0, "T-2", TicketStatus.Solved, TicketPriority.Low),
            Usage(T0, "u0", "alerts.configure"),
            Usage(T0, "u6"),
            Nps(T0, 0, "r2"),
            Revenue(T0, 0),
        ];
        foreach (var s in more)
        {
            Assert.True(a.Apply(s, T0.AddDays(1)));
            Assert.True(b.Apply(s, T0.AddDays(1)));
        }
        AssertSameMetrics(a, b);
        b.AssertValue(Metric.OpenTicketsWeighted, 0);
        b.AssertValue(Metric.MrrChangePct, -100);
    }

    [Fact]
    public void A_full_first_response_ring_reloads_in_eviction_order()
    {
        var a = new AccountAggregates();
        for (int i = 0; i < FirstResponseSamples.Capacity + 44; i++)
        {
            a.With(Ticket(DaysAgo(60), $"T-{i}", TicketStatus.Opened),
                   Ticket(DaysAgo(60).AddHours(i < 100 ? 50 : 2), $"T-{i}", TicketStatus.FirstResponse));
        }
        var b = AccountAggregates.FromBytes(a.ToBytes());
        // 100 slow then 200 fast: the ring holds 56 slow + 200 fast
        a.AssertValue(Metric.FirstResponseMedianHours, 2);
        b.AssertValue(Metric.FirstResponseMedianHours, 2);

        // the next 60 fast samples must evict the remaining slow ones in both
        for (int i = 0; i < 60; i++)
        {
            var open = Ticket(DaysAgo(50), $"N-{i}", TicketStatus.Opened);
            var first = Ticket(DaysAgo(50).AddHours(2), $"N-{i}", TicketStatus.FirstResponse);
            a.With(open, first);
            b.With(open, first);
        }
        Assert.Equal(a.FirstResponses.Items(), b.FirstResponses.Items());
        Assert.DoesNotContain(b.FirstResponses.Items(), x => x.Hours > 2);
    }

    [Fact]
    public void An_empty_account_round_trips()
    {
        var b = AccountAggregates.FromBytes(new AccountAggregates().ToBytes());
        foreach (Metric m in Enum.GetValues<Metric>())
        {
            b.AssertNoValue(m, seats: 10);
        }
        Assert.Null(b.LastSignalAt);
        Assert.True(b.Apply(Usage(T0), T0));
        b.AssertValue(Metric.DaysSinceLastUsage, 0);
    }

    [Fact]
    public void An_unknown_format_version_is_rejected()
    {
        var bytes = new AccountAggregates().ToBytes();
        bytes[0] = 99;
        Assert.Throws<InvalidDataException>(() => AccountAggregates.FromBytes(bytes));
    }

    [Fact]
    public void Truncated_data_is_rejected()
    {
        var bytes = Rich().ToBytes();
        Assert.Throws<EndOfStreamException>(() => AccountAggregates.FromBytes(bytes.AsSpan(0, bytes.Length / 2)));
    }
}
