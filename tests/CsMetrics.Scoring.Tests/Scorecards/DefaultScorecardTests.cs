using CsMetrics.Scoring.Scorecards;
using CsMetrics.Scoring.Tests.Support;

namespace CsMetrics.Scoring.Tests.Scorecards;

public class DefaultScorecardTests
{
    internal static Scorecard Load() => ScorecardParser.Parse(File.ReadAllText(RepoPaths.DefaultScorecard));

    [Fact]
    public void The_repository_root_is_found_from_the_test_assembly()
    {
        Assert.True(File.Exists(Path.Combine(RepoPaths.Root, "CsMetrics.sln")));
        Assert.True(File.Exists(RepoPaths.DefaultScorecard));
    }

    [Fact]
    public void The_default_scorecard_parses_without_errors()
    {
        bool ok = ScorecardParser.TryParse(File.ReadAllText(RepoPaths.DefaultScorecard), 1, out var card, out var errors);
        Assert.True(ok, string.Join(Environment.NewLine, errors));
        Assert.NotNull(card);
        Assert.Equal("CsMetrics default", card!.Name);
        Assert.Equal(new BandCutoffs(40, 70), card.Bands);
    }

    [Fact]
    public void The_default_scorecard_has_the_documented_shape()
    {
        var card = Load();
        Assert.Equal(new[] { "reports.export", "dashboards.create", "integrations.connect", "alerts.configure", "users.invite", "api.call" }, card.KeyFeatures);
        Assert.Equal(
            new[] { ("engagement", 30.0), ("adoption", 20.0), ("support", 20.0), ("sentiment", 15.0), ("revenue", 15.0) },
            card.Components.Select(c => (c.Name, c.Weight)));

        var measures = card.Components.SelectMany(c => c.Measures.Select(m => (c.Name, m.Metric, m.WindowDays, m.Weight))).ToList();
        Assert.Equal(
            new[]
            {
                ("engagement", Metric.ActiveUsersPerSeat, 7, 2.0),
                ("engagement", Metric.UsageTrend, 35, 1.0),
                ("engagement", Metric.DaysSinceLastUsage, 0, 1.0),
                ("adoption", Metric.KeyFeaturesUsed, 30, 1.0),
                ("support", Metric.OpenTicketsWeighted, 0, 2.0),
                ("support", Metric.UrgentTicketsOpen, 0, 2.0),
                ("support", Metric.FirstResponseMedianHours, 90, 1.0),
                ("support", Metric.ReopenRate, 90, 1.0),
                ("sentiment", Metric.Nps, 0, 2.0),
                ("sentiment", Metric.CsatPositiveRate, 90, 1.0),
                ("sentiment", Metric.CesMean, 90, 1.0),
                ("revenue", Metric.MrrChangePct, 90, 1.0),
            },
            measures);
        Assert.All(card.Components, c => Assert.False(string.IsNullOrWhiteSpace(c.Description)));
        Assert.All(card.Components.SelectMany(c => c.Measures), m => Assert.False(string.IsNullOrWhiteSpace(m.Description)));
    }

    [Fact]
    public void The_default_mappings()
    {
        var card = Load();
        MeasureMapping Mapping(Metric metric) => card.Components.SelectMany(c => c.Measures).Single(m => m.Metric == metric).Mapping;

        Assert.Equal(100, Mapping(Metric.ActiveUsersPerSeat).Map(0.6));
        Assert.Equal(50, Mapping(Metric.ActiveUsersPerSeat).Map(0.3), 9);
        Assert.Equal(100, Mapping(Metric.UsageTrend).Map(1.0));
        Assert.Equal(0, Mapping(Metric.UsageTrend).Map(0.25));
        Assert.Equal(60, Mapping(Metric.DaysSinceLastUsage).Map(7));
        Assert.Equal(25, Mapping(Metric.DaysSinceLastUsage).Map(14));
        Assert.Equal(0, Mapping(Metric.DaysSinceLastUsage).Map(15));
        Assert.Equal(75, Mapping(Metric.KeyFeaturesUsed).Map(3));
        Assert.Equal(87.5, Mapping(Metric.OpenTicketsWeighted).Map(1));
        Assert.Equal(30, Mapping(Metric.UrgentTicketsOpen).Map(1));
        Assert.Equal(0, Mapping(Metric.UrgentTicketsOpen).Map(2));
        Assert.Equal(100, Mapping(Metric.FirstResponseMedianHours).Map(0.5));
        Assert.Equal(0, Mapping(Metric.FirstResponseMedianHours).Map(48));
        Assert.Equal(50, Mapping(Metric.ReopenRate).Map(0.25));
        Assert.Equal(50, Mapping(Metric.Nps).Map(0));
        Assert.Equal(50, Mapping(Metric.CsatPositiveRate).Map(72.5), 9);
        Assert.Equal(50, Mapping(Metric.CesMean).Map(4));
        Assert.Equal(0, Mapping(Metric.MrrChangePct).Map(-100));
        Assert.Equal(75, Mapping(Metric.MrrChangePct).Map(0));
        Assert.Equal(100, Mapping(Metric.MrrChangePct).Map(10));
    }
}
