using CsMetrics.Scoring.Aggregates;
using CsMetrics.Scoring.Scorecards;
using CsMetrics.Scoring.Signals;
using CsMetrics.Scoring.Tests.Support;

namespace CsMetrics.Scoring.Tests.Scorecards;

public class MetricInfoTests
{
    public static TheoryData<Metric> AllMetrics()
    {
        var data = new TheoryData<Metric>();
        foreach (var m in Enum.GetValues<Metric>())
        {
            data.Add(m);
        }
        return data;
    }

    [Fact]
    public void Every_metric_has_exactly_one_wire_name()
    {
        var metrics = Enum.GetValues<Metric>();
        Assert.Equal(metrics.Length, MetricInfo.ByName.Count);
        Assert.Equal(metrics.OrderBy(m => m), MetricInfo.ByName.Values.OrderBy(m => m));
        foreach (var (name, metric) in MetricInfo.ByName)
        {
            Assert.Equal(name, MetricInfo.NameOf(metric));
            Assert.Matches("^[a-z_]+$", name);
        }
    }

    [Theory]
    [InlineData(Metric.ActiveUsersPerSeat, "active_users_per_seat", SignalType.Usage, 7)]
    [InlineData(Metric.UsageTrend, "usage_trend", SignalType.Usage, 35)]
    [InlineData(Metric.DaysSinceLastUsage, "days_since_last_usage", SignalType.Usage, 0)]
    [InlineData(Metric.KeyFeaturesUsed, "key_features_used", SignalType.Usage, 30)]
    [InlineData(Metric.OpenTicketsWeighted, "open_tickets_weighted", SignalType.Ticket, 0)]
    [InlineData(Metric.UrgentTicketsOpen, "urgent_tickets_open", SignalType.Ticket, 0)]
    [InlineData(Metric.FirstResponseMedianHours, "first_response_median_hours", SignalType.Ticket, 90)]
    [InlineData(Metric.ReopenRate, "reopen_rate", SignalType.Ticket, 90)]
    [InlineData(Metric.Nps, "nps", SignalType.Survey, 0)]
    [InlineData(Metric.CsatPositiveRate, "csat_positive_rate", SignalType.Survey, 90)]
    [InlineData(Metric.CesMean, "ces_mean", SignalType.Survey, 90)]
    [InlineData(Metric.MrrChangePct, "mrr_change_pct", SignalType.Revenue, 90)]
    public void Name_source_and_default_window(Metric metric, string name, SignalType source, int window)
    {
        Assert.Equal(name, MetricInfo.NameOf(metric));
        Assert.Equal(metric, MetricInfo.ByName[name]);
        Assert.Equal(source, MetricInfo.SourceOf(metric));
        Assert.Equal(window, MetricInfo.DefaultWindowDays(metric));
    }

    [Fact]
    public void Unknown_enum_values_fall_back_to_their_number()
    {
        Assert.Equal("200", MetricInfo.NameOf((Metric)200));
    }

    [Fact]
    public void The_largest_window_is_the_daily_ring()
    {
        Assert.Equal(DailyWindow.Days, MetricInfo.MaxWindowDays);
    }

    [Theory]
    [MemberData(nameof(AllMetrics))]
    public void Every_metric_has_no_value_on_an_empty_account(Metric metric)
    {
        new AccountAggregates().AssertNoValue(metric, seats: 10, windowDays: 30);
    }

    [Theory]
    [MemberData(nameof(AllMetrics))]
    public void Every_metric_is_documented(Metric metric)
    {
        string doc = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "scorecard.md"));
        Assert.Contains($"`{MetricInfo.NameOf(metric)}`", doc, StringComparison.Ordinal);
    }
}
