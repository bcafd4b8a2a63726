namespace CsMetrics.Scoring.Calibration;

/// <summary>Something recorded for a day (a day number, see <see cref="Aggregates.DayNumber"/>) with the band then.</summary>
public interface IDatedBand
{
    int Day { get; }

    string? Band { get; }
}

/// <summary>Looks up what a daily record said on a given day: the latest record on or before it.</summary>
public static class DatedBands
{
    /// <summary>
    /// Index of the latest item with <c>Day ≤ day</c> in a list ordered by day (oldest first), or −1
    /// when the list starts after <paramref name="day"/> (nothing was known yet). Binary search.
    /// </summary>
    public static int LatestOnOrBefore<T>(IReadOnlyList<T> days, int day) where T : IDatedBand
    {
        int lo = 0, hi = days.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (days[mid].Day <= day)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo - 1;
    }

    /// <summary>
    /// The band <paramref name="leadDays"/> days before <paramref name="churnDay"/>: the band in force
    /// at the end of day <c>churnDay − leadDays</c>, or null when the account had no band yet.
    /// </summary>
    public static string? BandBefore<T>(IReadOnlyList<T> days, int churnDay, int leadDays) where T : IDatedBand
    {
        int i = LatestOnOrBefore(days, churnDay - leadDays);
        return i < 0 ? null : days[i].Band;
    }
}
