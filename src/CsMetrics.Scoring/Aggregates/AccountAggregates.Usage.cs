namespace CsMetrics.Scoring.Aggregates;

public sealed partial class AccountAggregates
{
    /// <summary>The day (00:00 UTC) of the latest usage event, or null when there was none.</summary>
    public DateTimeOffset? LastUsageAt =>
        LastUsageDay == int.MinValue ? null : new DateTimeOffset((long)LastUsageDay * TimeSpan.TicksPerDay, TimeSpan.Zero);
}
