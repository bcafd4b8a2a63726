using CsMetrics.Contracts.Accounts;
using CsMetrics.Grains.Accounts;

namespace CsMetrics.Grains.Tests.Accounts;

public sealed class RecordedChangeTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 27, 9, 15, 0, TimeSpan.Zero);

    private static RecordedChange Numbered(int i) => new($"s{i}", "usage", 50, 50 + i, "yellow", "yellow", [], At.UtcTicks + i, $"reason {i}");

    [Fact]
    public void Keeps_the_newest_first_up_to_the_maximum_reusing_a_full_list()
    {
        RecordedChange[] kept = [];
        for (int i = 0; i < 3; i++)
        {
            var next = RecordedChange.Prepend(kept, Numbered(i), max: 3);
            Assert.NotSame(kept, next);
            Assert.Equal(i + 1, next.Length);
            kept = next;
        }
        Assert.Equal(["s2", "s1", "s0"], kept.Select(c => c.SignalId));
        var full = RecordedChange.Prepend(kept, Numbered(3), max: 3);
        Assert.Same(kept, full);
        Assert.Equal(["s3", "s2", "s1"], full.Select(c => c.SignalId));
    }

    [Fact]
    public void Missing_scores_and_components_come_back_as_missing()
    {
        var change = new ScoreChange(null, "reevaluation", null, 61.5, null, "yellow",
            [new ComponentChange("engagement", null, 40.1), new ComponentChange("revenue", 70, null), new ComponentChange("support", 0, 0)],
            At, "re-evaluated as time passed");

        var back = RecordedChange.Of(change).ToScoreChange();

        Assert.Equal(change with { Components = [] }, back with { Components = [] });
        Assert.Equal(change.Components, back.Components);
        Assert.Null(back.Before);
        Assert.Null(back.Components[0].Before);
        Assert.Null(back.Components[1].After);
        Assert.Equal(0, back.Components[2].Before);
    }
}
