namespace CsMetrics.Scoring.Aggregates;

/// <summary>One day of an account's incremental aggregates.</summary>
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

/// <summary>
/// A ring of <see cref="Days"/> daily buckets indexed by day number (days since 0001-01-01 UTC).
/// A slot is recycled lazily when a newer day claims it, so rolling the window forward costs
/// nothing and state never grows. Reads ignore slots that belong to another day.
/// </summary>
internal sealed class DailyWindow
{
    public const int Days = 120;

    private readonly DayBucket[] _buckets = new DayBucket[Days];

    public static int DayOf(DateTimeOffset t) => (int)(t.UtcTicks / TimeSpan.TicksPerDay);

    public static int DayOf(long utcTicks) => (int)(utcTicks / TimeSpan.TicksPerDay);

    /// <summary>
    /// The bucket for <paramref name="day"/>, claimed if the slot still holds an older day.
    /// Returns false (and a throwaway ref) when the day is too old for the ring: the newest day
    /// seen so far (<paramref name="newestDay"/>) decides what "too old" means.
    /// </summary>
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
                // The slot already belongs to a newer day: this day has scrolled out.
                inRange = false;
                return ref _scratch[0];
            }
            b = default;
            b.Day = day;
        }
        return ref b;
    }

    private readonly DayBucket[] _scratch = new DayBucket[1];

    /// <summary>The bucket of that day if the ring still holds it.</summary>
    public bool TryGet(int day, out DayBucket bucket)
    {
        bucket = _buckets[Mod(day)];
        return bucket.Day == day && day != 0;
    }

    /// <summary>Sums a field over days [fromDay, toDay], both inclusive.</summary>
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

    internal DayBucket[] Raw => _buckets;

    private static int Mod(int day) => ((day % Days) + Days) % Days;
}
