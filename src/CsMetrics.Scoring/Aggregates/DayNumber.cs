namespace CsMetrics.Scoring.Aggregates;

/// <summary>Days since 0001-01-01 UTC: the bucket key used everywhere a day is counted.</summary>
public static class DayNumber
{
    public static int Of(DateTimeOffset t) => (int)(t.UtcTicks / TimeSpan.TicksPerDay);

    /// <summary>The day of a UTC tick count (the same numbering as <see cref="DateOnly.DayNumber"/>).</summary>
    public static int Of(long utcTicks) => (int)(utcTicks / TimeSpan.TicksPerDay);

    public static DateTimeOffset Start(int day) => new((long)day * TimeSpan.TicksPerDay, TimeSpan.Zero);
}
