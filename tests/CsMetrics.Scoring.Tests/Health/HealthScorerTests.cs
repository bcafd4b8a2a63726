using CsMetrics.Scoring.Aggregates;
using CsMetrics.Scoring.Health;
using CsMetrics.Scoring.Scorecards;
using CsMetrics.Scoring.Signals;
using CsMetrics.Scoring.Tests.Scorecards;
using CsMetrics.Scoring.Tests.Support;
using static CsMetrics.Scoring.Tests.Support.Sig;

namespace CsMetrics.Scoring.Tests.Health;

public class HealthScorerTests
{
    private static readonly Scorecard Card = DefaultScorecardTests.Load();
    private static readonly string[] KeyFeatures = ["reports.export", "dashboards.create", "integrations.connect", "alerts.configure"];

    private const int Engagement = 0, Adoption = 1, Support = 2, Sentiment = 3, Revenue = 4;

    private static (HealthScore Overall, ComponentScore[] Components) Evaluate(AccountAggregates a, int seats = 10, DateTimeOffset? now = null, Scorecard? card = null)
    {
        card ??= Card;
        var components = new ComponentScore[card.Components.Count];
        var overall = HealthScorer.Evaluate(card, a, seats, now ?? T0, components);
        return (overall, components);
    }

    /// <summary>Six users active every day for the 35 days up to T0; the first four use one key feature each on T0.</summary>
    private static AccountAggregates SteadyUsage()
    {
        var a = new AccountAggregates();
        for (int d = 0; d < 35; d++)
        {
            for (int u = 0; u < 6; u++)
            {
                a.With(Usage(DaysAgo(d), $"user-{u}", d == 0 && u < KeyFeatures.Length ? KeyFeatures[u] : null));
            }
        }
        return a;
    }

    [Fact]
    public void No_data_at_all_is_HealthScore_None()
    {
        var (overall, components) = Evaluate(new AccountAggregates());
        Assert.Equal(HealthScore.None, overall);
        Assert.False(overall.HasScore);
        for (int c = 0; c < components.Length; c++)
        {
            Assert.False(components[c].Included);
            Assert.Equal(0, components[c].Score);
            Assert.Equal(Card.Components[c].Weight, components[c].Weight);
        }
    }

    [Fact]
    public void One_component_only_the_weights_are_renormalised_and_overall_equals_it()
    {
        var a = new AccountAggregates().With(
            Sig.Revenue(DaysAgo(120), 1000),
            Sig.Revenue(DaysAgo(5), 1020)); // +2 % → (2 + 30) / 40 = 80

        var (overall, components) = Evaluate(a);
        Assert.True(components[Revenue].Included);
        Assert.Equal(80, components[Revenue].Score, 9);
        Assert.Equal(new HealthScore(true, 80, HealthBand.Green), overall);
        foreach (int c in new[] { Engagement, Adoption, Support, Sentiment })
        {
            Assert.False(components[c].Included);
        }
    }

    [Fact]
    public void A_component_whose_source_has_data_but_no_measure_has_a_value_is_left_out()
    {
        // revenue data exists, but only from the future: mrr_change_pct has no value yet
        var a = new AccountAggregates().With(Sig.Revenue(T0.AddDays(10), 1000), Nps(T0, 10, "r1"));
        var (overall, components) = Evaluate(a);
        Assert.False(components[Revenue].Included);
        Assert.True(components[Sentiment].Included);
        Assert.Equal(100, overall.Score);

        var onlyFutureRevenue = new AccountAggregates().With(Sig.Revenue(T0.AddDays(10), 1000));
        Assert.Equal(HealthScore.None, Evaluate(onlyFutureRevenue).Overall);
    }

    [Fact]
    public void Steady_usage_scores_engagement_100_and_renormalises_over_engagement_and_adoption()
    {
        var (overall, components) = Evaluate(SteadyUsage());
        Assert.Equal(100, components[Engagement].Score);
        Assert.Equal(100, components[Adoption].Score); // 4 key features used → 4/4
        Assert.False(components[Support].Included);
        Assert.Equal(new HealthScore(true, 100, HealthBand.Green), overall);
    }

    [Fact]
    public void Zero_seats_leave_out_active_users_but_engagement_is_still_scored()
    {
        var a = SteadyUsage();
        var now = T0.AddDays(3);
        // trend = 24 / 42 → (0.5714 − 0.25) / 0.75 = 42.857; 3 days silent → 60
        var (_, withSeats) = Evaluate(a, seats: 10, now: now);
        Assert.Equal(75.7, withSeats[Engagement].Score);  // (100·2 + 42.857 + 60) / 4

        var (overall, noSeats) = Evaluate(a, seats: 0, now: now);
        Assert.True(noSeats[Engagement].Included);
        Assert.Equal(51.4, noSeats[Engagement].Score);    // (42.857 + 60) / 2
        Assert.True(overall.HasScore);
    }

    [Fact]
    public void When_usage_stops_engagement_falls_as_now_moves_forward_and_is_never_left_out()
    {
        var a = SteadyUsage();
        double[] expected = [100, 75.7, 6.3, 0];
        DateTimeOffset[] nows = [T0, T0.AddDays(3), T0.AddDays(10), T0.AddDays(30)];
        double previous = double.MaxValue;
        for (int i = 0; i < nows.Length; i++)
        {
            var (overall, components) = Evaluate(a, now: nows[i]);
            Assert.True(components[Engagement].Included, $"engagement left out at {nows[i]:O}");
            Assert.True(components[Adoption].Included);
            Assert.Equal(expected[i], components[Engagement].Score);
            Assert.True(components[Engagement].Score <= previous);
            previous = components[Engagement].Score;
            Assert.True(overall.HasScore);
        }
        // a month of silence: engagement and adoption are both 0, the account is red
        var (gone, _) = Evaluate(a, now: T0.AddDays(30));
        Assert.Equal(new HealthScore(true, 0, HealthBand.Red), gone);
    }

    [Fact]
    public void A_healthy_account_on_the_default_scorecard()
    {
        var a = SteadyUsage();
        a.With(
            // support: one open normal ticket (weighted 1 → 87.5), first responses 2 h and 4 h (median 3 → 95.74), one solved
            Ticket(DaysAgo(5), "T-1", TicketStatus.Opened),
            Ticket(DaysAgo(5).AddHours(2), "T-1", TicketStatus.FirstResponse),
            Ticket(DaysAgo(4), "T-2", TicketStatus.Opened),
            Ticket(DaysAgo(4).AddHours(4), "T-2", TicketStatus.FirstResponse),
            Ticket(DaysAgo(3), "T-2", TicketStatus.Solved),
            // sentiment: NPS 66.7, CSAT 100 %, CES 6 → all 100
            Nps(DaysAgo(20), 10, "r1"), Nps(DaysAgo(20), 9, "r2"), Nps(DaysAgo(20), 7, "r3"),
            Csat(DaysAgo(10), 5), Csat(DaysAgo(9), 4),
            Ces(DaysAgo(8), 6),
            // revenue: +10 % in 90 days → 100
            Sig.Revenue(DaysAgo(120), 1000), Sig.Revenue(DaysAgo(20), 1100));

        var (overall, c) = Evaluate(a);
        Assert.Equal(100, c[Engagement].Score);
        Assert.Equal(100, c[Adoption].Score);
        Assert.Equal(95.1, c[Support].Score);   // (87.5·2 + 100·2 + 95.745 + 100) / 6 = 95.124
        Assert.Equal(100, c[Sentiment].Score);
        Assert.Equal(100, c[Revenue].Score);
        Assert.All(c, x => Assert.True(x.Included));
        Assert.Equal(new HealthScore(true, 99.0, HealthBand.Green), overall); // (3000 + 2000 + 1902 + 1500 + 1500) / 100
    }

    [Fact]
    public void An_unhealthy_account_on_the_default_scorecard()
    {
        var a = new AccountAggregates().With(
            Usage(DaysAgo(40), "u1"),
            Ticket(DaysAgo(2), "T-1", TicketStatus.Opened, TicketPriority.Urgent),
            Ticket(DaysAgo(2), "T-2", TicketStatus.Opened, TicketPriority.Urgent),
            Nps(DaysAgo(2), 2, "r1"),
            Sig.Revenue(DaysAgo(300), 500), Sig.Revenue(DaysAgo(1), 0));

        var (overall, c) = Evaluate(a);
        Assert.Equal(0, c[Engagement].Score);
        Assert.Equal(0, c[Adoption].Score);
        Assert.Equal(0, c[Support].Score);  // weighted 8 → 0, two urgent → 0; no FRT/reopen values: left out
        Assert.Equal(0, c[Sentiment].Score);
        Assert.Equal(0, c[Revenue].Score);  // churned: −100 % → 0
        Assert.Equal(new HealthScore(true, 0, HealthBand.Red), overall);
    }

    [Fact]
    public void Measures_without_a_value_are_left_out_of_their_component()
    {
        // tickets exist but none answered or solved: support = open-weighted and urgent only
        var a = new AccountAggregates().With(Ticket(DaysAgo(3), "T-1", TicketStatus.Opened, TicketPriority.High));
        var (overall, c) = Evaluate(a);
        Assert.Equal(87.5, c[Support].Score); // weighted 2 → 75 (w2), urgent 0 → 100 (w2)
        Assert.Equal(87.5, overall.Score);

        a.With(Ticket(DaysAgo(1), "T-1", TicketStatus.FirstResponse, TicketPriority.High)); // FRT 48 h → 0 (w1)
        Assert.Equal(70, Evaluate(a).Components[Support].Score);
    }

    [Fact]
    public void Support_recovers_when_the_urgent_ticket_is_solved()
    {
        var a = new AccountAggregates().With(Ticket(DaysAgo(1), "T-1", TicketStatus.Opened, TicketPriority.Urgent));
        var before = Evaluate(a).Components[Support].Score;
        Assert.Equal(40, before); // weighted 4 → 50 (w2), one urgent → 30 (w2)

        a.With(Ticket(T0.AddHours(-1), "T-1", TicketStatus.Solved, TicketPriority.Urgent));
        Assert.Equal(100, Evaluate(a).Components[Support].Score); // nothing open, reopen rate 0
    }

    [Fact]
    public void Component_weights_are_relative()
    {
        // sentiment (15) at 0 and revenue (15) at 100 → 50
        var a = new AccountAggregates().With(
            Nps(DaysAgo(1), 0, "r1"),
            Sig.Revenue(DaysAgo(120), 100), Sig.Revenue(DaysAgo(1), 200));
        Assert.Equal(50, Evaluate(a).Overall.Score);
    }

    [Theory]
    [InlineData(0, HealthBand.Red)]
    [InlineData(39.9, HealthBand.Red)]
    [InlineData(40, HealthBand.Yellow)]
    [InlineData(69.9, HealthBand.Yellow)]
    [InlineData(70, HealthBand.Green)]
    [InlineData(100, HealthBand.Green)]
    public void Bands_red_below_red_yellow_below_yellow_green_from_there(double score, HealthBand band)
    {
        Assert.Equal(band, Card.Bands.BandOf(score));
    }

    [Fact]
    public void Band_names()
    {
        Assert.Equal("red", HealthBandNames.Of(HealthBand.Red));
        Assert.Equal("yellow", HealthBandNames.Of(HealthBand.Yellow));
        Assert.Equal("green", HealthBandNames.Of(HealthBand.Green));
        foreach (var b in Enum.GetValues<HealthBand>())
        {
            Assert.True(HealthBandNames.TryParse(HealthBandNames.Of(b), out var parsed));
            Assert.Equal(b, parsed);
        }
        Assert.False(HealthBandNames.TryParse("Green", out _));
        Assert.False(HealthBandNames.TryParse(null, out _));
    }

    [Theory]
    [InlineData(33.333333, 33.3)]
    [InlineData(66.666666, 66.7)]
    [InlineData(12.25, 12.3)]    // midpoint: away from zero
    [InlineData(6.25, 6.3)]
    [InlineData(-12.25, -12.3)]
    [InlineData(99.95, 100)]
    [InlineData(0.04, 0)]
    public void Scores_are_rounded_to_one_decimal(double value, double rounded)
    {
        Assert.Equal(rounded, HealthScorer.Round(value));
    }

    [Fact]
    public void Component_and_overall_scores_are_rounded_to_one_decimal()
    {
        var card = new Scorecard
        {
            Version = 1,
            Name = "thirds",
            Bands = new BandCutoffs(40, 70),
            Components =
            [
                new ComponentDefinition
                {
                    Name = "sentiment", Weight = 1,
                    Measures = [new MeasureDefinition { Metric = Metric.CesMean, Weight = 1, WindowDays = 90, Mapping = new MeasureMapping { Worst = 1, Best = 4 } }],
                },
                new ComponentDefinition
                {
                    Name = "revenue", Weight = 2,
                    Measures = [new MeasureDefinition { Metric = Metric.MrrChangePct, Weight = 1, WindowDays = 90, Mapping = new MeasureMapping { Worst = 0, Best = 30 } }],
                },
            ],
        };
        var a = new AccountAggregates().With(
            Ces(DaysAgo(1), 2),                                          // (2 − 1) / 3 → 33.333 → 33.3
            Sig.Revenue(DaysAgo(100), 100), Sig.Revenue(DaysAgo(1), 120)); // 20 / 30 → 66.667 → 66.7
        var (overall, c) = Evaluate(a, card: card);
        Assert.Equal(33.3, c[0].Score);
        Assert.Equal(66.7, c[1].Score);
        Assert.Equal(55.6, overall.Score); // (33.3 + 2 · 66.7) / 3 = 55.5667
        Assert.Equal(HealthBand.Yellow, overall.Band);
    }

    [Fact]
    public void TryScoreComponent_is_the_weighted_mean_of_the_measures_with_a_value()
    {
        var support = Card.Components[Support];
        var empty = new AccountAggregates();
        Assert.False(HealthScorer.TryScoreComponent(support, Card.KeyFeatures, empty, 10, T0, out double none));
        Assert.Equal(0, none);

        var a = new AccountAggregates().With(Ticket(DaysAgo(1), "T-1", TicketStatus.Opened, TicketPriority.Low));
        Assert.True(HealthScorer.TryScoreComponent(support, Card.KeyFeatures, a, 10, T0, out double score));
        Assert.Equal(96.9, score); // (93.75·2 + 100·2) / 4 = 96.875 → 96.9
    }

    [Fact]
    public void The_result_span_needs_one_slot_per_component()
    {
        var a = new AccountAggregates();
        Assert.Throws<ArgumentException>(() => HealthScorer.Evaluate(Card, a, 10, T0, new ComponentScore[Card.Components.Count - 1]));

        var bigger = new ComponentScore[Card.Components.Count + 2];
        bigger[^1].Score = 42;
        HealthScorer.Evaluate(Card, a.With(Nps(T0, 10, "r")), 10, T0, bigger);
        Assert.Equal(42, bigger[^1].Score); // extra slots untouched
    }

    [Fact]
    public void Stale_component_results_in_a_reused_span_are_overwritten()
    {
        var span = new ComponentScore[Card.Components.Count];
        for (int i = 0; i < span.Length; i++)
        {
            span[i] = new ComponentScore { Score = 77, Weight = 1, Included = true };
        }
        var overall = HealthScorer.Evaluate(Card, new AccountAggregates(), 10, T0, span);
        Assert.Equal(HealthScore.None, overall);
        Assert.All(span, s => Assert.Equal((false, 0.0), (s.Included, s.Score)));
    }

    [Fact]
    public void Key_features_of_the_card_are_used_for_adoption()
    {
        var a = new AccountAggregates().With(
            Usage(DaysAgo(1), "u", "reports.export"),
            Usage(DaysAgo(1), "u", "some.other.feature"));
        Assert.Equal(25, Evaluate(a).Components[Adoption].Score); // 1 of the 4 needed

        var allCount = new Scorecard { Version = 1, Name = "all", Bands = Card.Bands, Components = Card.Components, KeyFeatures = [] };
        Assert.Equal(50, Evaluate(a, card: allCount).Components[Adoption].Score); // 2 features of any kind
    }
}
