using CsMetrics.Grains.Watchlists;

namespace CsMetrics.Grains.Tests.Watchlists;

public sealed class PushPacingTests
{
    [Theory]
    [InlineData(0, 5)]
    [InlineData(1, 5)]
    [InlineData(PushPacing.BusyPushChanges - 1, 5)]
    [InlineData(PushPacing.BusyPushChanges, 15)]
    [InlineData(500, 15)]
    public void A_push_of_many_changes_widens_the_next_window(int changes, int windowMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(windowMs), PushPacing.WindowAfter(changes));

    [Theory]
    [InlineData(long.MaxValue / 2, 5, 0)] // never pushed: at once
    [InlineData(5, 5, 0)] // quiet for a whole window: at once
    [InlineData(40, 15, 0)]
    [InlineData(0, 5, 5)] // right after a push: at the end of its window
    [InlineData(2, 5, 3)]
    [InlineData(14, 15, 1)]
    public void A_change_goes_out_at_once_after_a_quiet_window_else_when_the_window_ends(long sinceLastPushMs, int windowMs, int dueMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(dueMs), PushPacing.DueIn(sinceLastPushMs, TimeSpan.FromMilliseconds(windowMs)));
}
