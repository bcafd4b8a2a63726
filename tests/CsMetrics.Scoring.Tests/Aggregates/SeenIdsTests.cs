using CsMetrics.Scoring.Aggregates;

namespace CsMetrics.Scoring.Tests.Aggregates;

public class SeenIdsTests
{
    private const int Day = 739_320;

    [Fact]
    public void Remembers_ids_for_the_arrival_day_and_seven_more()
    {
        var s = new SeenIds();
        Assert.True(s.TryAdd("a", Day));
        Assert.False(s.TryAdd("a", Day));
        Assert.False(s.TryAdd("a", Day + SeenIds.WindowDays));
        Assert.True(s.TryAdd("a", Day + SeenIds.WindowDays + 1));
    }

    [Fact]
    public void Count_spans_every_remembered_day_and_drops_expired_days()
    {
        var s = new SeenIds();
        for (int d = 0; d < 8; d++)
        {
            Assert.True(s.TryAdd($"id-{d}", Day + d));
        }
        Assert.Equal(8, s.Count);
        Assert.True(s.TryAdd("next", Day + 8)); // day 0 expires, its slot is reused
        Assert.Equal(8, s.Count);
        Assert.False(s.Contains("id-0"));
        Assert.True(s.Contains("id-1"));
    }

    [Fact]
    public void An_arrival_older_than_the_window_is_accepted_without_evicting_newer_ids()
    {
        var s = new SeenIds();
        Assert.True(s.TryAdd("recent", Day));
        Assert.True(s.TryAdd("replayed", Day - 8));     // same ring slot as Day
        Assert.True(s.TryAdd("replayed-2", Day - 30));
        Assert.False(s.TryAdd("recent", Day));
        Assert.Equal(1, s.Count);

        Assert.True(s.TryAdd("inside", Day - 7));       // still inside the window: remembered
        Assert.False(s.TryAdd("inside", Day));
        Assert.False(s.TryAdd("recent", Day - 3));     // a known id is caught whatever the arrival
    }

    [Fact]
    public void Hash_is_stable_and_distinguishes_ids()
    {
        Assert.Equal(SeenIds.Hash("signal-1"), SeenIds.Hash("signal-1"));
        Assert.NotEqual(SeenIds.Hash("signal-1"), SeenIds.Hash("signal-2"));
        Assert.NotEqual(SeenIds.Hash("a"), SeenIds.Hash("A"));
    }

    [Fact]
    public void Many_ids_in_one_day_do_not_collide()
    {
        var s = new SeenIds();
        for (int i = 0; i < 100_000; i++)
        {
            Assert.True(s.TryAdd($"evt-{i:D8}", Day));
        }
        Assert.Equal(100_000, s.Count);
    }
}
