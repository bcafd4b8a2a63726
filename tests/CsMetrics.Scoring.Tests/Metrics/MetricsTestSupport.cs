using CsMetrics.Scoring.Aggregates;
using CsMetrics.Scoring.Metrics;
using CsMetrics.Scoring.Signals;
using CsMetrics.Scoring.Tests.Support;

namespace CsMetrics.Scoring.Tests.Metrics;

internal static class MetricsTestSupport
{
    /// <summary>Noon UTC of a day in 2025 (month, day): far from day boundaries.</summary>
    public static DateTimeOffset At(int month, int day, int hour = 12, int minute = 0) => new(2025, month, day, hour, minute, 0, TimeSpan.Zero);

    public static int Day(int month, int day) => new DateOnly(2025, month, day).DayNumber;

    public static AccountAggregates Account(params Signal[] signals) => new AccountAggregates().With(signals);

    public static MetricsReport Report(this AccountAggregates a, (int Month, int Day) from, (int Month, int Day) to, int seats = 0, DateOnly? renewal = null) =>
        MetricsCalculator.Compute(a.PeriodFacts(Day(from.Month, from.Day), Day(to.Month, to.Day), seats, renewal, null), "acc-1", null, null);

    /// <summary>The same period over several accounts: their facts summed, as the portfolio does.</summary>
    public static MetricsReport Portfolio((int Month, int Day) from, (int Month, int Day) to, params AccountAggregates[] accounts)
    {
        var total = PeriodFacts.Empty(Day(from.Month, from.Day), Day(to.Month, to.Day));
        foreach (var a in accounts)
        {
            total.Merge(a.PeriodFacts(total.From, total.To, 0, null, null));
        }
        return MetricsCalculator.Compute(total, null, null, null);
    }

    /// <summary>The same signals in a scrambled order (seeded), for "arrival order does not matter" checks.</summary>
    public static Signal[] Scrambled(Signal[] signals, int seed = 7)
    {
        var copy = signals.ToArray();
        new Random(seed).Shuffle(copy);
        return copy;
    }
}
