using CsMetrics.Grains.Accounts;
using CsMetrics.Scoring.Signals;

namespace CsMetrics.Grains.Tests.Accounts;

public sealed class RecentSignalTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 27, 9, 15, 0, TimeSpan.FromHours(-5));

    private static RecentSignal Numbered(int i) => new($"s{i}", "usage", At.Ticks + i, At.UtcTicks + i, -300, 0);

    private sealed class Recent(int max)
    {
        public RecentSignal[] Buffer = [];
        public int Count;

        public void Add(int from, int adding)
        {
            Count = RecentSignal.MakeRoom(ref Buffer, Count, adding, max, out int firstNew);
            Assert.Equal(Count - adding, firstNew);
            for (int k = 0; k < adding; k++)
            {
                Buffer[firstNew + k] = Numbered(from + k);
            }
        }

        public string[] Ids => [.. Buffer.Take(Count).Select(r => r.Id)];
    }

    [Fact]
    public void Keeps_the_newest_up_to_the_maximum_oldest_first()
    {
        var recent = new Recent(max: 5);
        recent.Add(0, 2);
        Assert.Equal(["s0", "s1"], recent.Ids);
        recent.Add(2, 1);
        Assert.Equal(["s0", "s1", "s2"], recent.Ids);
        recent.Add(3, 3);
        Assert.Equal(["s1", "s2", "s3", "s4", "s5"], recent.Ids);
        recent.Add(6, 5);
        Assert.Equal(["s6", "s7", "s8", "s9", "s10"], recent.Ids);
        recent.Add(11, 2);
        Assert.Equal(["s8", "s9", "s10", "s11", "s12"], recent.Ids);
    }

    [Fact]
    public void The_buffer_doubles_up_to_the_maximum_and_then_never_grows()
    {
        var recent = new Recent(max: 20);
        var sizes = new List<int>();
        for (int i = 0; i < 30; i++)
        {
            var before = recent.Buffer;
            recent.Add(i, 1);
            if (!ReferenceEquals(before, recent.Buffer))
            {
                sizes.Add(recent.Buffer.Length);
            }
        }
        Assert.Equal([4, 8, 16, 20], sizes);
        Assert.Equal(Enumerable.Range(10, 20).Select(i => $"s{i}"), recent.Ids);
    }

    [Fact]
    public void A_batch_bigger_than_the_doubling_gets_room_at_once()
    {
        var recent = new Recent(max: 20);
        recent.Add(0, 3);
        recent.Add(3, 13);
        Assert.Equal(16, recent.Count);
        Assert.Equal(Enumerable.Range(0, 16).Select(i => $"s{i}"), recent.Ids);
        Assert.True(recent.Buffer.Length is >= 16 and <= 20);
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
