using CsMetrics.Scoring.Tests.Support;
using static CsMetrics.Scoring.Tests.Metrics.MetricsTestSupport;

namespace CsMetrics.Scoring.Tests.Metrics;

public class SentimentMetricsTests
{
    [Fact]
    public void No_answers_leave_nps_csat_and_ces_undefined()
    {
        var r = Account(Sig.Usage(At(3, 2))).Report((3, 1), (3, 31)).Sentiment;
        Assert.Null(r.Nps);
        Assert.Equal(0, r.NpsResponses);
        Assert.Null(r.Csat);
        Assert.Null(r.Ces);
        Assert.Null(r.CesHighRate);
    }

    [Fact]
    public void All_passives_give_an_nps_of_zero()
    {
        // 3 passives: (0 promoters − 0 detractors) / 3 × 100 = 0
        var r = Account(Sig.Nps(At(3, 2), 7, "a"), Sig.Nps(At(3, 3), 8, "b"), Sig.Nps(At(3, 4), 7, "c")).Report((3, 1), (3, 31)).Sentiment;
        Assert.Equal(0.0, r.Nps);
        Assert.Equal((0L, 3L, 0L), (r.NpsPromoters, r.NpsPassives, r.NpsDetractors));
    }

    [Fact]
    public void Nps_counts_the_latest_answer_per_respondent_in_the_period()
    {
        var signals = new[]
        {
            Sig.Nps(At(3, 5), 3, "a"),   // a: detractor on 5 March …
            Sig.Nps(At(3, 20), 10, "a"), // … promoter from 20 March
            Sig.Nps(At(3, 6), 9, "b"),
            Sig.Nps(At(3, 7), 5, "c"),
            Sig.Nps(At(3, 8), 8, "d"),
        };
        var inOrder = Account(signals);
        var scrambled = Account(Scrambled(signals));
        foreach (var a in new[] { inOrder, scrambled })
        {
            // March: a=10 (P), b=9 (P), c=5 (D), d=8 (Pa) → (2 − 1) / 4 × 100 = 25
            var month = a.Report((3, 1), (3, 31)).Sentiment;
            Assert.Equal((2L, 1L, 1L, 4L), (month.NpsPromoters, month.NpsPassives, month.NpsDetractors, month.NpsResponses));
            Assert.Equal(25.0, month.Nps);
            // 1–10 March: a's next answer (20 March) is after the period, so a's 3 counts:
            // b=9 (P), a=3 (D), c=5 (D), d=8 (Pa) → (1 − 2) / 4 × 100 = −25
            var early = a.Report((3, 1), (3, 10)).Sentiment;
            Assert.Equal(-25.0, early.Nps);
            // 10–31 March: a's 10 (20 March) is in, b, c, d are before the period → (1 − 0) / 1 × 100 = 100
            Assert.Equal(100.0, a.Report((3, 10), (3, 31)).Sentiment.Nps);
        }
    }

    [Fact]
    public void Csat_is_the_share_of_4_and_5_and_ces_the_mean_and_share_of_5_or_more()
    {
        var r = Account(
            Sig.Csat(At(3, 2), 5), Sig.Csat(At(3, 3), 4), Sig.Csat(At(3, 4), 3), Sig.Csat(At(3, 5), 1),
            Sig.Ces(At(3, 2), 7), Sig.Ces(At(3, 3), 5), Sig.Ces(At(3, 4), 4), Sig.Ces(At(3, 5), 2),
            Sig.Csat(At(4, 2), 1)) // April: outside the period
            .Report((3, 1), (3, 31)).Sentiment;
        // CSAT: 2 positive (5, 4) / 4 answers × 100 = 50
        Assert.Equal(50.0, r.Csat);
        Assert.Equal(4, r.CsatAnswers);
        // CES: (7 + 5 + 4 + 2) / 4 = 18 / 4 = 4.5; answers ≥ 5: 2 / 4 = 0.5
        Assert.Equal(4.5, r.Ces);
        Assert.Equal(0.5, r.CesHighRate);
    }

    [Fact]
    public void Nps_and_csat_split_by_tenure_first_90_days_against_older()
    {
        // First signal 1 January → the account is new until 31 March (day 0 … 89), older from 1 April.
        var a = Account(
            Sig.Revenue(At(1, 1), 100),
            Sig.Nps(At(2, 15), 2, "early"),   // new: detractor
            Sig.Csat(At(2, 16), 2),           // new: not positive
            Sig.Nps(At(4, 10), 10, "later"),  // older: promoter
            Sig.Nps(At(4, 11), 9, "later2"),  // older: promoter
            Sig.Csat(At(4, 12), 5));          // older: positive
        var r = a.Report((1, 1), (4, 30)).Sentiment;
        // new: (0 − 1) / 1 × 100 = −100; CSAT 0 / 1 × 100 = 0
        Assert.Equal(-100.0, r.ByTenure.New.Nps);
        Assert.Equal(0.0, r.ByTenure.New.Csat);
        // older: (2 − 0) / 2 × 100 = 100; CSAT 1 / 1 × 100 = 100
        Assert.Equal(100.0, r.ByTenure.Older.Nps);
        Assert.Equal(100.0, r.ByTenure.Older.Csat);
        // all: (2 − 1) / 3 × 100 = 33.33…
        Assert.Equal(100.0 / 3, r.Nps!.Value, 9);
    }

    [Fact]
    public void An_answer_five_years_back_imported_last_counts_in_its_own_period()
    {
        var old = new DateTimeOffset(2020, 6, 1, 12, 0, 0, TimeSpan.Zero);
        var a = Account(Sig.Nps(At(3, 1), 10, "r"), Sig.Nps(old, 4, "r"));
        var period2020 = Scoring.Metrics.MetricsCalculator.Compute(
            a.PeriodFacts(new DateOnly(2020, 1, 1).DayNumber, new DateOnly(2020, 12, 31).DayNumber, 0, null, null), null, null, null).Sentiment;
        // 2020: r's answer 4 (detractor) is superseded only in 2025 → (0 − 1) / 1 × 100 = −100
        Assert.Equal(-100.0, period2020.Nps);
        Assert.Equal(100.0, a.Report((1, 1), (12, 31)).Sentiment.Nps);
    }
}
