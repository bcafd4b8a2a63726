using CsMetrics.Scoring.Aggregates;
using CsMetrics.Scoring.Scorecards;
using CsMetrics.Scoring.Tests.Support;
using static CsMetrics.Scoring.Tests.Support.Sig;

namespace CsMetrics.Scoring.Tests.Aggregates;

public class RevenueMetricTests
{
    [Fact]
    public void No_revenue_data_means_no_value_and_zero_current_mrr()
    {
        var a = new AccountAggregates().With(Usage(T0));
        a.AssertNoValue(Metric.MrrChangePct);
        Assert.Equal(0m, a.CurrentMrr(T0));
    }

    [Fact]
    public void Growth_over_the_window()
    {
        var a = new AccountAggregates().With(
            Revenue(DaysAgo(120), 1000),
            Revenue(DaysAgo(10), 1200));
        a.AssertValue(Metric.MrrChangePct, 20, windowDays: 90);
        Assert.Equal(1200m, a.CurrentMrr(T0));
    }

    [Fact]
    public void Shrinking_over_the_window()
    {
        var a = new AccountAggregates().With(
            Revenue(DaysAgo(120), 1000),
            Revenue(DaysAgo(10), 800));
        a.AssertValue(Metric.MrrChangePct, -20, windowDays: 90);
    }

    [Fact]
    public void The_window_start_reads_the_mrr_in_force_then()
    {
        var a = new AccountAggregates().With(
            Revenue(DaysAgo(120), 500),
            Revenue(DaysAgo(60), 1000),
            Revenue(DaysAgo(5), 1500));
        a.AssertValue(Metric.MrrChangePct, 200, windowDays: 90); // 500 → 1500
        a.AssertValue(Metric.MrrChangePct, 50, windowDays: 30);  // 1000 → 1500
        a.AssertValue(Metric.MrrChangePct, 0, windowDays: 3);    // nothing changed in 3 days
    }

    [Fact]
    public void Churn_to_zero_is_minus_100()
    {
        var a = new AccountAggregates().With(
            Revenue(DaysAgo(200), 1000),
            Revenue(DaysAgo(3), 0));
        a.AssertValue(Metric.MrrChangePct, -100, windowDays: 90);
        Assert.Equal(0m, a.CurrentMrr(T0));
    }

    [Fact]
    public void From_zero_to_paying_is_plus_100()
    {
        var a = new AccountAggregates().With(
            Revenue(DaysAgo(200), 0),
            Revenue(DaysAgo(3), 250));
        a.AssertValue(Metric.MrrChangePct, 100, windowDays: 90);
    }

    [Fact]
    public void A_young_account_is_measured_against_its_first_value()
    {
        var a = new AccountAggregates().With(
            Revenue(DaysAgo(30), 1000),
            Revenue(DaysAgo(1), 1500));
        a.AssertValue(Metric.MrrChangePct, 50, windowDays: 90);

        var flat = new AccountAggregates().With(Revenue(DaysAgo(30), 1000));
        flat.AssertValue(Metric.MrrChangePct, 0, windowDays: 90);
    }

    [Fact]
    public void Before_the_first_point_there_is_no_value()
    {
        var a = new AccountAggregates().With(Revenue(T0, 1000));
        a.AssertNoValue(Metric.MrrChangePct, now: T0.AddDays(-5));
        Assert.Equal(0m, a.CurrentMrr(T0.AddDays(-5)));
        // up to one day ahead counts (clock skew): flat against itself
        a.AssertValue(Metric.MrrChangePct, 0, now: T0.AddHours(-12));
    }

    [Fact]
    public void Points_imported_out_of_order_read_the_same()
    {
        var inOrder = new AccountAggregates().With(
            Revenue(DaysAgo(120), 1000),
            Revenue(DaysAgo(60), 900),
            Revenue(DaysAgo(10), 1200));
        var shuffled = new AccountAggregates().With(
            Revenue(DaysAgo(10), 1200),
            Revenue(DaysAgo(120), 1000),
            Revenue(DaysAgo(60), 900));

        foreach (int window in new[] { 5, 30, 90, 120 })
        {
            Assert.Equal(inOrder.Read(Metric.MrrChangePct, windowDays: window), shuffled.Read(Metric.MrrChangePct, windowDays: window));
        }
        shuffled.AssertValue(Metric.MrrChangePct, 20, windowDays: 90);
        shuffled.AssertValue(Metric.MrrChangePct, 1200 / 9.0 - 100, windowDays: 30);
        Assert.Equal(new[] { 1000m, 900m, 1200m }, shuffled.Mrr.Select(p => p.Mrr));
    }

    [Fact]
    public void Current_mrr_is_the_latest_point_at_or_before_now()
    {
        var a = new AccountAggregates().With(Revenue(DaysAgo(10), 100), Revenue(DaysAgo(5), 200));
        Assert.Equal(100m, a.CurrentMrr(DaysAgo(7)));
        Assert.Equal(200m, a.CurrentMrr(DaysAgo(5)));
        Assert.Equal(200m, a.CurrentMrr(T0));
    }
}
