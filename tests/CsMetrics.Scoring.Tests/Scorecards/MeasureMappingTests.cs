using CsMetrics.Scoring.Scorecards;

namespace CsMetrics.Scoring.Tests.Scorecards;

public class MeasureMappingTests
{
    private static readonly MeasureMapping HigherIsBetter = new() { Worst = 0.0, Best = 0.6 };
    private static readonly MeasureMapping LowerIsBetter = new() { Worst = 8, Best = 0 };
    private static readonly MeasureMapping Steps = new()
    {
        Steps = [new(2, 100), new(7, 60), new(14, 25)],
        Otherwise = 0,
    };

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(0.15, 25)]
    [InlineData(0.3, 50)]
    [InlineData(0.6, 100)]
    [InlineData(1.2, 100)]   // clamped above
    [InlineData(-1.0, 0)]    // clamped below
    public void Linear_higher_is_better(double value, double score)
    {
        Assert.True(HigherIsBetter.IsLinear);
        Assert.Equal(score, HigherIsBetter.Map(value), 9);
    }

    [Theory]
    [InlineData(0, 100)]
    [InlineData(2, 75)]
    [InlineData(4, 50)]
    [InlineData(8, 0)]
    [InlineData(20, 0)]      // clamped
    [InlineData(-1, 100)]    // clamped
    public void Linear_lower_is_better_when_best_is_below_worst(double value, double score)
    {
        Assert.Equal(score, LowerIsBetter.Map(value), 9);
    }

    [Theory]
    [InlineData(-5, 100)]
    [InlineData(0, 100)]
    [InlineData(2, 100)]     // "up to" is inclusive
    [InlineData(2.01, 60)]
    [InlineData(7, 60)]
    [InlineData(8, 25)]
    [InlineData(14, 25)]
    [InlineData(14.5, 0)]    // above the last step: otherwise
    [InlineData(1000, 0)]
    public void Steps_first_match_wins_and_otherwise_covers_the_rest(double value, double score)
    {
        Assert.False(Steps.IsLinear);
        Assert.Equal(score, Steps.Map(value));
    }

    [Fact]
    public void Steps_can_score_upward_and_otherwise_can_be_the_best()
    {
        var m = new MeasureMapping { Steps = [new(0, 0), new(1, 50)], Otherwise = 100 };
        Assert.Equal(0, m.Map(0));
        Assert.Equal(50, m.Map(1));
        Assert.Equal(100, m.Map(5));
    }

    [Fact]
    public void The_default_urgent_ticket_steps()
    {
        var m = new MeasureMapping { Steps = [new(0, 100), new(1, 30)], Otherwise = 0 };
        Assert.Equal(100, m.Map(0));
        Assert.Equal(30, m.Map(1));
        Assert.Equal(0, m.Map(2));
    }
}
