using CsMetrics.Scoring.Aggregates;
using CsMetrics.Scoring.Scorecards;
using CsMetrics.Scoring.Signals;

namespace CsMetrics.Scoring.Tests.Support;

internal static class AggregateExtensions
{
    /// <summary>Applies a signal that must be new; arrival defaults to <see cref="Sig.T0"/>.</summary>
    public static AccountAggregates With(this AccountAggregates a, Signal s, DateTimeOffset? arrival = null)
    {
        Assert.True(a.Apply(s, arrival ?? Sig.T0), $"signal {s.Id} was unexpectedly a duplicate");
        return a;
    }

    public static AccountAggregates With(this AccountAggregates a, params Signal[] signals)
    {
        foreach (var s in signals)
        {
            a.With(s);
        }
        return a;
    }

    /// <summary>The metric's value, or null when it has none. The window defaults to the metric's default.</summary>
    public static double? Read(this AccountAggregates a, Metric metric, DateTimeOffset? now = null, int? windowDays = null, int seats = 0, IReadOnlyList<string>? keyFeatures = null)
    {
        return a.TryGetMetric(metric, windowDays ?? MetricInfo.DefaultWindowDays(metric), seats, keyFeatures ?? [], now ?? Sig.T0, out double v)
            ? v
            : null;
    }

    public static void AssertValue(this AccountAggregates a, Metric metric, double expected, DateTimeOffset? now = null, int? windowDays = null, int seats = 0, IReadOnlyList<string>? keyFeatures = null)
    {
        double? v = a.Read(metric, now, windowDays, seats, keyFeatures);
        Assert.True(v.HasValue, $"{metric} has no value");
        Assert.Equal(expected, v!.Value, 9);
    }

    public static void AssertNoValue(this AccountAggregates a, Metric metric, DateTimeOffset? now = null, int? windowDays = null, int seats = 0, IReadOnlyList<string>? keyFeatures = null)
    {
        double? v = a.Read(metric, now, windowDays, seats, keyFeatures);
        Assert.False(v.HasValue, $"{metric} unexpectedly has the value {v}");
    }

    public static int TicketCount(this AccountAggregates a) => a.Tickets.Count;

    public static long TotalSignals(this AccountAggregates a) =>
        a.SignalCount(SignalType.Usage) + a.SignalCount(SignalType.Ticket) + a.SignalCount(SignalType.Survey) + a.SignalCount(SignalType.Revenue);
}
