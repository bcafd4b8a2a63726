using CsMetrics.Scoring.Metrics;

namespace CsMetrics.Scoring.Aggregates;

public sealed partial class AccountAggregates
{
    /// <summary>This account's facts summed over days [fromDay, toDay] (both inclusive).</summary>
    public PeriodFacts PeriodFacts(int fromDay, int toDay, int seats, DateOnly? renewalDate, string? segment)
    {
        var period = Metrics.PeriodFacts.Empty(fromDay, toDay);
        period.Add(MetricFacts.Build(this, seats, renewalDate), segment ?? "");
        return period;
    }
}
