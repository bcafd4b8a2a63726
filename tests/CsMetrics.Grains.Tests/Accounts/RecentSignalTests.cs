using CsMetrics.Grains.Accounts;
using CsMetrics.Scoring.Signals;

namespace CsMetrics.Grains.Tests.Accounts;

public sealed class RecentSignalTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 27, 9, 15, 0, TimeSpan.FromHours(-5));

    private static RecentSignal Numbered(int i) => new($"s{i}", "usage", At.Ticks + i, At.UtcTicks + i, -300, 0);

    private static RecentSignal[] Add(RecentSignal[] kept, int from, int count, int max)
    {
        var result = RecentSignal.MakeRoom(kept, count, max, out int firstNew);
        Assert.Equal(result.Length - count, firstNew);
        for (int k = 0; k < count; k++)
        {
            result[firstNew + k] = Numbered(from + k);
        }
        return result;
    }

    private static string[] Ids(RecentSignal[] recent) => [.. recent.Select(r => r.Id)];

    [Fact]
    public void Grows_to_the_maximum_then_keeps_the_newest_oldest_first()
    {
        var recent = Add([], 0, 2, max: 4);
        Assert.Equal(["s0", "s1"], Ids(recent));
        recent = Add(recent, 2, 1, max: 4);
        Assert.Equal(["s0", "s1", "s2"], Ids(recent));
        recent = Add(recent, 3, 3, max: 4);
        Assert.Equal(["s2", "s3", "s4", "s5"], Ids(recent));
        recent = Add(recent, 6, 4, max: 4);
        Assert.Equal(["s6", "s7", "s8", "s9"], Ids(recent));
    }

    [Fact]
    public void A_full_list_is_reused_and_a_growing_one_sized_exactly()
    {
        var full = Add([], 0, 4, max: 4);
        Assert.Same(full, RecentSignal.MakeRoom(full, 1, 4, out _));
        var partial = Add([], 0, 2, max: 4);
        var grown = RecentSignal.MakeRoom(partial, 1, 4, out int firstNew);
        Assert.NotSame(partial, grown);
        Assert.Equal(3, grown.Length);
        Assert.Equal(2, firstNew);
        Assert.Equal(["s0", "s1"], Ids(grown[..2]));
    }

    [Fact]
    public void The_summary_shows_the_signal_as_it_was_sent()
    {
        var signal = new Signal { Id = "t-7", AccountId = "acme", Type = SignalType.Ticket, Timestamp = At, TicketId = "T-7", TicketStatus = TicketStatus.Opened, Priority = TicketPriority.Urgent };
        var applied = new DateTimeOffset(2026, 11, 27, 14, 15, 1, TimeSpan.Zero);

        var summary = RecentSignal.Of(signal, applied).ToSummary();

        Assert.Equal("t-7", summary.Id);
        Assert.Equal("ticket", summary.Type);
        Assert.Equal(At, summary.Timestamp);
        Assert.Equal(At.Offset, summary.Timestamp.Offset);
        Assert.Equal(applied, summary.AppliedAt);
        Assert.Equal("urgent ticket T-7 opened", summary.Summary);
    }
}
