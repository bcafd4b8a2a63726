using CsMetrics.Scoring.Aggregates;
using CsMetrics.Scoring.Scorecards;
using CsMetrics.Scoring.Signals;
using CsMetrics.Scoring.Tests.Support;
using static CsMetrics.Scoring.Tests.Support.Sig;

namespace CsMetrics.Scoring.Tests.Aggregates;

public class SurveyMetricTests
{
    [Theory]
    [InlineData(Metric.Nps)]
    [InlineData(Metric.CsatPositiveRate)]
    [InlineData(Metric.CesMean)]
    public void Survey_metrics_have_no_value_without_answers(Metric metric)
    {
        var a = new AccountAggregates().With(Usage(T0), Ticket(T0, "T-1", TicketStatus.Opened), Revenue(T0, 1));
        a.AssertNoValue(metric);
    }

    [Fact]
    public void Csat_answers_do_not_give_nps_or_ces_a_value()
    {
        var a = new AccountAggregates().With(Csat(T0, 5));
        a.AssertValue(Metric.CsatPositiveRate, 100);
        a.AssertNoValue(Metric.Nps);
        a.AssertNoValue(Metric.CesMean);
    }

    // ---- nps -----------------------------------------------------------------------------

    [Theory]
    [InlineData(0, -100)]
    [InlineData(6, -100)]
    [InlineData(7, 0)]
    [InlineData(8, 0)]
    [InlineData(9, 100)]
    [InlineData(10, 100)]
    public void Nps_categories(int score, double nps)
    {
        var a = new AccountAggregates().With(Nps(T0, score, "r1"));
        a.AssertValue(Metric.Nps, nps);
    }

    [Fact]
    public void Nps_is_promoters_minus_detractors_over_respondents()
    {
        var a = new AccountAggregates();
        int[] scores = [10, 10, 9, 9, 9, 8, 7, 7, 3, 0];
        for (int i = 0; i < scores.Length; i++)
        {
            a.With(Nps(DaysAgo(i), scores[i], $"r{i}"));
        }
        a.AssertValue(Metric.Nps, 30); // (5 − 2) / 10
        Assert.Equal((5, 3, 2), (a.NpsPromoters, a.NpsPassives, a.NpsDetractors));
    }

    [Fact]
    public void The_latest_answer_of_a_respondent_replaces_their_earlier_one()
    {
        var a = new AccountAggregates().With(
            Nps(DaysAgo(30), 2, "r1"),
            Nps(DaysAgo(10), 10, "r1"));
        a.AssertValue(Metric.Nps, 100);
        Assert.Equal((1, 0, 0), (a.NpsPromoters, a.NpsPassives, a.NpsDetractors));
    }

    [Fact]
    public void An_older_answer_arriving_late_does_not_replace_the_latest()
    {
        var a = new AccountAggregates().With(
            Nps(DaysAgo(10), 10, "r1"),
            Nps(DaysAgo(30), 2, "r1"));
        a.AssertValue(Metric.Nps, 100);
        Assert.Equal((1, 0, 0), (a.NpsPromoters, a.NpsPassives, a.NpsDetractors));
        // the late answer was still applied (its id is remembered, the survey count moved)
        Assert.Equal(2, a.SignalCount(SignalType.Survey));
    }

    [Fact]
    public void Answers_without_a_respondent_each_count_on_their_own()
    {
        var a = new AccountAggregates().With(Nps(T0, 10), Nps(T0, 0), Nps(T0, 10), Nps(T0, 8));
        a.AssertValue(Metric.Nps, 25); // (2 − 1) / 4
    }

    [Fact]
    public void Nps_is_not_windowed_the_latest_answer_counts_however_old()
    {
        var a = new AccountAggregates().With(Nps(DaysAgo(400), 10, "r1"));
        a.AssertValue(Metric.Nps, 100, windowDays: 90);
        a.AssertValue(Metric.Nps, 100, now: T0.AddDays(1000));
    }

    // ---- csat_positive_rate --------------------------------------------------------------

    [Fact]
    public void Csat_positive_rate_is_the_share_of_4_and_5()
    {
        var a = new AccountAggregates().With(Csat(DaysAgo(1), 5), Csat(DaysAgo(2), 4), Csat(DaysAgo(3), 3), Csat(DaysAgo(4), 1));
        a.AssertValue(Metric.CsatPositiveRate, 50);
    }

    [Fact]
    public void Csat_positive_rate_only_counts_answers_in_the_window()
    {
        var a = new AccountAggregates().With(
            Csat(DaysAgo(100), 1),
            Csat(DaysAgo(95), 1),
            Csat(DaysAgo(3), 5));
        a.AssertValue(Metric.CsatPositiveRate, 100, windowDays: 90);
        a.AssertValue(Metric.CsatPositiveRate, 100 / 3.0, windowDays: 101);
        a.AssertNoValue(Metric.CsatPositiveRate, now: T0.AddDays(90), windowDays: 90);
    }

    [Fact]
    public void A_late_csat_answer_lands_in_its_own_day()
    {
        var a = new AccountAggregates().With(Csat(T0, 5));
        a.With(Csat(DaysAgo(10), 1), arrival: T0.AddDays(1));
        a.AssertValue(Metric.CsatPositiveRate, 100, windowDays: 7);
        a.AssertValue(Metric.CsatPositiveRate, 50, windowDays: 30);
    }

    // ---- ces_mean ------------------------------------------------------------------------

    [Fact]
    public void Ces_mean_is_the_mean_answer_in_the_window()
    {
        var a = new AccountAggregates().With(
            Ces(DaysAgo(1), 2),
            Ces(DaysAgo(2), 4),
            Ces(DaysAgo(3), 7),
            Ces(DaysAgo(91), 1));
        a.AssertValue(Metric.CesMean, 13 / 3.0, windowDays: 90);
        a.AssertValue(Metric.CesMean, 14 / 4.0, windowDays: 92);
        a.AssertValue(Metric.CesMean, 2, windowDays: 1 + 1); // today-1 .. tomorrow
    }
}
