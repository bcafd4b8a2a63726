using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace CsMetrics.Scoring.Aggregates;

/// <summary>One day of an account's incremental aggregates.</summary>
/// <remarks>Sequential: the eight counters after <see cref="Day"/> are summed as one vector (<see cref="DailyWindow.SumRange"/>).</remarks>
[StructLayout(LayoutKind.Sequential)]
internal struct DayBucket
{
    public int Day;
    public int UsageEvents;
    /// <summary>Users whose latest activity falls on this day (a histogram that makes "active in the last N days" O(N)).</summary>
    public int UsersLastSeen;
    public int TicketsSolved;
    public int TicketsReopened;
    public int CsatAnswers;
    public int CsatPositive;
    public int CesAnswers;
    public int CesSum;
}

/// <summary>Every field of <see cref="DayBucket"/> summed over a range of days (same order, as longs).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DayTotals
{
    public long UsageEvents;
    public long UsersLastSeen;
    public long TicketsSolved;
    public long TicketsReopened;
    public long CsatAnswers;
    public long CsatPositive;
    public long CesAnswers;
    public long CesSum;
}

/// <summary>
/// <see cref="Days"/> daily buckets indexed by day number (days since 0001-01-01 UTC), behaving as
/// a ring of that many slots (slot = day mod <see cref="Days"/>): a slot is recycled lazily when a
/// newer day claims it, so rolling the window forward costs nothing and state never grows past
/// <see cref="Days"/> buckets. Reads ignore days whose slot another day has claimed.
/// <para>
/// Stored sparsely: only the days that were claimed, as an array sorted by day that grows on
/// demand (an account with a week of data holds a handful of buckets instead of 120). Every
/// answer is the same as the eager ring's: a day is present exactly when the ring's slot would
/// hold it, including days older than the window that no newer day has claimed yet.
/// </para>
/// </summary>
internal sealed class DailyWindow
{
    public const int Days = 120;

    /// <summary>Where out-of-range writes go (callers check <c>inRange</c>; nothing reads it).</summary>
    [ThreadStatic]
    private static DayBucket t_discard;

    /// <summary>Claimed days, ascending, in <c>[0, _count)</c>; at most one per slot, so at most <see cref="Days"/>.</summary>
    private DayBucket[] _buckets = [];
    private int _count;

    /// <summary>
    /// Bumped whenever a bucket may change (every <see cref="Slot"/> call hands out a writable
    /// ref), so a remembered sum is only reused while nothing was written.
    /// </summary>
    private int _version;

    /// <summary>
    /// The last range summed on this thread, with the window and version it was summed from. One
    /// rescore asks for the same range several times (the default scorecard sums its 90-day
    /// window for reopen rate, CSAT and CES), and nothing writes in between. Thread-static rather
    /// than a field: a million resident accounts would each carry the memo.
    /// </summary>
    [ThreadStatic]
    private static SumMemo? t_memo;

    private sealed class SumMemo
    {
        public DailyWindow? Window;
        public int Version;
        public int From;
        public int To;
        public DayTotals Totals;
    }

    public static int DayOf(DateTimeOffset t) => (int)(t.UtcTicks / TimeSpan.TicksPerDay);

    public static int DayOf(long utcTicks) => (int)(utcTicks / TimeSpan.TicksPerDay);

    /// <summary>
    /// The bucket for <paramref name="day"/>, claimed if its slot still holds an older day.
    /// Returns false (and a throwaway ref) when the day is too old for the ring: the newest day
    /// seen so far (<paramref name="newestDay"/>) decides what "too old" means. The ref is valid
    /// until the next call that claims a day.
    /// </summary>
    public ref DayBucket Slot(int day, int newestDay, out bool inRange)
    {
        _version++;
        inRange = day > newestDay - Days;
        if (!inRange)
        {
            return ref Discard();
        }
        int at = IndexOf(day);
        if (at >= 0)
        {
            return ref _buckets[at];
        }

        // The day is not held: find the day its slot holds instead (an unclaimed slot of the
        // eager ring read as day 0).
        int holder = -1;
        int slot = Mod(day);
        for (int i = 0; i < _count; i++)
        {
            if (Mod(_buckets[i].Day) == slot)
            {
                holder = i;
                break;
            }
        }
        int holderDay = holder >= 0 ? _buckets[holder].Day : 0;
        if (holderDay > day)
        {
            // The slot already belongs to a newer day: this day has scrolled out.
            inRange = false;
            return ref Discard();
        }
        if (holder >= 0)
        {
            RemoveAt(holder);
        }
        at = ~IndexOf(day);
        Insert(at, day);
        return ref _buckets[at];
    }

    /// <summary>The bucket of that day if the ring still holds it.</summary>
    public bool TryGet(int day, out DayBucket bucket)
    {
        int at = IndexOf(day);
        bucket = at >= 0 ? _buckets[at] : default;
        return at >= 0 && day != 0;
    }

    /// <summary>
    /// Sums every field over days [fromDay, toDay], both inclusive (only the last <see cref="Days"/>
    /// days up to <paramref name="toDay"/> count, as in the ring). No allocation, no delegate.
    /// </summary>
    public DayTotals Sum(int fromDay, int toDay)
    {
        int from = Math.Max(fromDay, toDay - Days + 1);
        if (from > toDay)
        {
            return default;
        }
        var memo = t_memo ??= new SumMemo();
        if (ReferenceEquals(memo.Window, this) && memo.Version == _version && memo.From == from && memo.To == toDay)
        {
            return memo.Totals;
        }
        int i = IndexOf(from);
        if (i < 0)
        {
            i = ~i;
        }
        int end = i;
        while (end < _count && _buckets[end].Day <= toDay)
        {
            end++;
        }
        var t = SumRange(_buckets.AsSpan(i, end - i));
        memo.Window = this;
        memo.Version = _version;
        memo.From = from;
        memo.To = toDay;
        memo.Totals = t;
        return t;
    }

    /// <summary>
    /// Field-wise sum of the buckets. A bucket's eight counters lie side by side after its day, so
    /// one 256-bit load takes all eight, widened to longs: 4 vector adds a bucket instead of 8
    /// scalar loads and adds (a capped account's 90-day sums were 13 % of a signal's scoring).
    /// </summary>
    internal static DayTotals SumRange(ReadOnlySpan<DayBucket> buckets)
    {
        var t = default(DayTotals);
        if (Vector256.IsHardwareAccelerated && buckets.Length > 0)
        {
            var lower = Vector256<long>.Zero;
            var upper = Vector256<long>.Zero;
            foreach (ref readonly DayBucket b in buckets)
            {
                var counters = Vector256.LoadUnsafe(ref Unsafe.AsRef(in b.UsageEvents));
                var (lo, hi) = Vector256.Widen(counters);
                lower += lo;
                upper += hi;
            }
            // DayTotals holds the same eight counters in the same order, as longs.
            Unsafe.As<DayTotals, Vector256<long>>(ref t) = lower;
            Unsafe.Add(ref Unsafe.As<DayTotals, Vector256<long>>(ref t), 1) = upper;
            return t;
        }
        return SumRangeScalar(buckets);
    }

    /// <summary>The same sum one field at a time (machines without 256-bit vectors; tests compare the two).</summary>
    internal static DayTotals SumRangeScalar(ReadOnlySpan<DayBucket> buckets)
    {
        var t = default(DayTotals);
        foreach (ref readonly DayBucket b in buckets)
        {
            t.UsageEvents += b.UsageEvents;
            t.UsersLastSeen += b.UsersLastSeen;
            t.TicketsSolved += b.TicketsSolved;
            t.TicketsReopened += b.TicketsReopened;
            t.CsatAnswers += b.CsatAnswers;
            t.CsatPositive += b.CsatPositive;
            t.CesAnswers += b.CesAnswers;
            t.CesSum += b.CesSum;
        }
        return t;
    }

    /// <summary>The claimed days, ascending.</summary>
    internal ReadOnlySpan<DayBucket> Used => _buckets.AsSpan(0, _count);

    /// <summary>How many buckets are allocated (for tests: the window stays sparse).</summary>
    internal int Capacity => _buckets.Length;

    private static ref DayBucket Discard()
    {
        t_discard = default;
        return ref t_discard;
    }

    /// <summary>Index of the day, or the complement of where it would go.</summary>
    private int IndexOf(int day)
    {
        int lo = 0, hi = _count - 1;
        var buckets = _buckets;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int d = buckets[mid].Day;
            if (d == day)
            {
                return mid;
            }
            if (d < day)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return ~lo;
    }

    private void Insert(int at, int day)
    {
        if (_count == _buckets.Length)
        {
            // Grow by half (a new day is claimed at most once a day); never past one bucket per slot.
            int size = Math.Min(Days, Math.Max(4, _count + (_count >> 1)));
            var grown = new DayBucket[size];
            Array.Copy(_buckets, grown, _count);
            _buckets = grown;
        }
        Array.Copy(_buckets, at, _buckets, at + 1, _count - at);
        _buckets[at] = new DayBucket { Day = day };
        _count++;
    }

    private void RemoveAt(int at)
    {
        _count--;
        Array.Copy(_buckets, at + 1, _buckets, at, _count - at);
        _buckets[_count] = default;
    }

    private static int Mod(int day) => ((day % Days) + Days) % Days;
}
