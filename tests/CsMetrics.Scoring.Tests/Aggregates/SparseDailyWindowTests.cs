using CsMetrics.Scoring.Aggregates;
using static CsMetrics.Scoring.Tests.Support.Sig;

namespace CsMetrics.Scoring.Tests.Aggregates;

/// <summary>
/// The daily window stores only the days it holds; it must answer exactly as the eager 120-slot
/// ring it replaced (kept below as <see cref="EagerRing"/>, the old implementation verbatim).
/// </summary>
public class SparseDailyWindowTests
{
    private static readonly int Today = DailyWindow.DayOf(T0);

    [Fact]
    public void A_week_of_data_holds_a_handful_of_buckets_not_the_whole_ring()
    {
        var w = new DailyWindow();
        Assert.Equal(0, w.Capacity);
        for (int d = 6; d >= 0; d--)
        {
            w.Slot(Today - d, Today, out bool inRange).UsageEvents = d + 1;
            Assert.True(inRange);
        }
        Assert.Equal(7, w.Used.Length);
        Assert.InRange(w.Capacity, 7, 9);
        Assert.Equal(28, w.Sum(Today - 6, Today).UsageEvents);
    }

    [Fact]
    public void Out_of_order_days_are_kept_sorted_and_each_sums_once()
    {
        var w = new DailyWindow();
        int[] days = [Today, Today - 10, Today - 3, Today - 50, Today - 3, Today - 1, Today - 10];
        foreach (int d in days)
        {
            w.Slot(d, Today, out bool inRange).CsatAnswers++;
            Assert.True(inRange);
        }
        var used = w.Used.ToArray();
        Assert.Equal([Today - 50, Today - 10, Today - 3, Today - 1, Today], used.Select(b => b.Day).ToArray());
        Assert.Equal([1, 2, 2, 1, 1], used.Select(b => b.CsatAnswers).ToArray());
        Assert.Equal(7, w.Sum(Today - 119, Today).CsatAnswers);
        Assert.Equal(4, w.Sum(Today - 10, Today - 2).CsatAnswers);
        Assert.True(w.TryGet(Today - 3, out var b3));
        Assert.Equal(2, b3.CsatAnswers);
        Assert.False(w.TryGet(Today - 4, out var none));
        Assert.Equal(0, none.CsatAnswers);
    }

    [Fact]
    public void Sums_across_gaps_count_only_the_days_held()
    {
        var w = new DailyWindow();
        w.Slot(Today - 100, Today, out _).TicketsSolved = 5;
        w.Slot(Today - 40, Today, out _).TicketsSolved = 7;
        w.Slot(Today, Today, out _).TicketsSolved = 11;
        w.Slot(Today - 40, Today, out _).TicketsReopened = 2;

        var all = w.Sum(Today - 119, Today);
        Assert.Equal(23, all.TicketsSolved);
        Assert.Equal(2, all.TicketsReopened);
        Assert.Equal(7, w.Sum(Today - 99, Today - 1).TicketsSolved); // the gap on both sides
        Assert.Equal(0, w.Sum(Today - 39, Today - 1).TicketsSolved); // a range inside a gap
        Assert.Equal(12, w.Sum(Today - 100, Today - 40).TicketsSolved); // both ends inclusive
        Assert.Equal(0, w.Sum(Today + 1, Today + 100).TicketsSolved);
        Assert.Equal(0, w.Sum(Today, Today - 1).TicketsSolved); // empty range
        // Only the 120 days up to the end of the range count, however far back it starts.
        Assert.Equal(18, w.Sum(Today - 1000, Today + 20).TicketsSolved);
    }

    [Fact]
    public void Days_scroll_out_of_the_window_as_the_newest_day_advances()
    {
        var w = new DailyWindow();
        w.Slot(Today, Today, out _).UsageEvents = 3;
        int newest = Today + 119;
        // Today is still in range of a newest day 119 days later...
        w.Slot(Today, newest, out bool inRange).UsageEvents += 1;
        Assert.True(inRange);
        Assert.Equal(4, w.Sum(Today, newest).UsageEvents);
        // ...and out of it a day later: the write is refused, and sums ending 120 days on skip it.
        newest = Today + 120;
        w.Slot(Today, newest, out inRange).UsageEvents += 100;
        Assert.False(inRange);
        Assert.Equal(0, w.Sum(Today - 10, newest).UsageEvents);
        // Lazily recycled: until a newer day claims its slot the old day is still held (as in the ring).
        Assert.True(w.TryGet(Today, out var kept));
        Assert.Equal(4, kept.UsageEvents);
        Assert.Equal(4, w.Sum(Today, Today).UsageEvents);
    }

    [Fact]
    public void A_day_reused_after_120_days_replaces_the_old_day_and_the_old_day_is_then_refused()
    {
        var w = new DailyWindow();
        w.Slot(Today, Today, out _).CesSum = 9;
        w.Slot(Today + 1, Today + 1, out _).CesSum = 1;
        int later = Today + DailyWindow.Days; // Today's slot
        ref var b = ref w.Slot(later, later, out bool inRange);
        Assert.True(inRange);
        Assert.Equal(0, b.CesSum); // a fresh bucket, not Today's
        b.CesSum = 4;

        Assert.False(w.TryGet(Today, out _));
        Assert.Equal([Today + 1, later], w.Used.ToArray().Select(x => x.Day).ToArray());
        Assert.Equal(0, w.Sum(Today, Today).CesSum);
        Assert.Equal(5, w.Sum(Today + 1, later).CesSum);
        // A stale newest day cannot revive the old day: its slot belongs to a newer one.
        w.Slot(Today, Today, out inRange);
        Assert.False(inRange);
        Assert.Equal(2, w.Used.Length);
    }

    [Fact]
    public void Never_holds_more_than_one_bucket_per_slot()
    {
        var w = new DailyWindow();
        for (int d = 0; d < 1000; d++)
        {
            w.Slot(Today + d, Today + d, out _).UsageEvents++;
        }
        Assert.Equal(DailyWindow.Days, w.Used.Length);
        Assert.Equal(DailyWindow.Days, w.Capacity);
        Assert.Equal(DailyWindow.Days, w.Sum(Today, Today + 999).UsageEvents);
        Assert.Equal(Today + 1000 - DailyWindow.Days, w.Used[0].Day);
    }

    /// <summary>Random claims (out of order, far behind, jumps past the ring, day 0) against the old ring: same answers.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Answers_exactly_as_the_eager_ring(int seed)
    {
        var random = new Random(seed);
        var sparse = new DailyWindow();
        var ring = new EagerRing();
        int newest = random.Next(0, 2) == 0 ? 0 : Today;
        for (int step = 0; step < 5000; step++)
        {
            int day = random.Next(10) switch
            {
                0 => newest + random.Next(1, 300),          // a jump forward, often past the whole ring
                1 => newest - random.Next(100, 400),        // far behind
                2 => random.Next(0, 3),                     // around day 0 (the ring's empty slots)
                _ => newest - random.Next(-2, 30),          // the usual: recent, out of order
            };
            day = Math.Max(0, day);
            if (random.Next(3) == 0)
            {
                newest = Math.Max(newest, day);
            }
            ref var s = ref sparse.Slot(day, newest, out bool sparseIn);
            ref var r = ref ring.Slot(day, newest, out bool ringIn);
            Assert.Equal(ringIn, sparseIn);
            if (ringIn)
            {
                int n = random.Next(1, 5);
                s.UsageEvents += n; r.UsageEvents += n;
                s.UsersLastSeen += 1; r.UsersLastSeen += 1;
                s.TicketsSolved += n * 2; r.TicketsSolved += n * 2;
                s.TicketsReopened += 1; r.TicketsReopened += 1;
                s.CsatAnswers += 3; r.CsatAnswers += 3;
                s.CsatPositive += n; r.CsatPositive += n;
                s.CesAnswers += 1; r.CesAnswers += 1;
                s.CesSum += n * 7; r.CesSum += n * 7;
            }

            int probe = newest - random.Next(-5, 300);
            Assert.Equal(ring.TryGet(probe, out var rb), sparse.TryGet(probe, out var sb));
            if (rb.Day == probe)
            {
                Assert.Equal(rb, sb);
            }
            int to = newest + random.Next(-150, 3);
            int from = to - random.Next(0, 200);
            var totals = sparse.Sum(from, to);
            Assert.Equal(ring.Sum(from, to, static b => b.UsageEvents), totals.UsageEvents);
            Assert.Equal(ring.Sum(from, to, static b => b.UsersLastSeen), totals.UsersLastSeen);
            Assert.Equal(ring.Sum(from, to, static b => b.TicketsSolved), totals.TicketsSolved);
            Assert.Equal(ring.Sum(from, to, static b => b.TicketsReopened), totals.TicketsReopened);
            Assert.Equal(ring.Sum(from, to, static b => b.CsatAnswers), totals.CsatAnswers);
            Assert.Equal(ring.Sum(from, to, static b => b.CsatPositive), totals.CsatPositive);
            Assert.Equal(ring.Sum(from, to, static b => b.CesAnswers), totals.CesAnswers);
            Assert.Equal(ring.Sum(from, to, static b => b.CesSum), totals.CesSum);
        }
        // Same days held (the ring's unclaimed slots read as day 0 with nothing in them).
        var ringDays = ring.Raw.Where(b => b.Day != 0 || !b.Equals(default(DayBucket))).OrderBy(b => b.Day).ToArray();
        var sparseDays = sparse.Used.ToArray().Where(b => b.Day != 0 || !b.Equals(default(DayBucket))).ToArray();
        Assert.Equal(ringDays, sparseDays);
    }

    /// <summary>The eager ring as it was before the window went sparse (the reference for the theory above).</summary>
    private sealed class EagerRing
    {
        private const int Days = DailyWindow.Days;
        private readonly DayBucket[] _buckets = new DayBucket[Days];
        private readonly DayBucket[] _scratch = new DayBucket[1];

        public ref DayBucket Slot(int day, int newestDay, out bool inRange)
        {
            ref DayBucket b = ref _buckets[Mod(day)];
            inRange = day > newestDay - Days;
            if (!inRange)
            {
                return ref _scratch[0];
            }
            if (b.Day != day)
            {
                if (b.Day > day)
                {
                    inRange = false;
                    return ref _scratch[0];
                }
                b = default;
                b.Day = day;
            }
            return ref b;
        }

        public bool TryGet(int day, out DayBucket bucket)
        {
            bucket = _buckets[Mod(day)];
            return bucket.Day == day && day != 0;
        }

        public long Sum(int fromDay, int toDay, Func<DayBucket, int> field)
        {
            long sum = 0;
            for (int d = Math.Max(fromDay, toDay - Days + 1); d <= toDay; d++)
            {
                ref readonly DayBucket b = ref _buckets[Mod(d)];
                if (b.Day == d)
                {
                    sum += field(b);
                }
            }
            return sum;
        }

        public DayBucket[] Raw => _buckets;

        private static int Mod(int day) => ((day % Days) + Days) % Days;
    }
}
