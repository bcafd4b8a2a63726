using CsMetrics.Scoring.Aggregates;

namespace CsMetrics.Scoring.Tests.Aggregates;

/// <summary>The median is cached per window start; these pin that the cache never answers stale.</summary>
public class FirstResponseSamplesTests
{
    [Fact]
    public void No_samples_no_median()
    {
        var s = new FirstResponseSamples();
        Assert.False(s.TryMedian(0, out _));
        Assert.False(s.TryMedian(0, out _)); // the cached "no value" too
    }

    [Fact]
    public void A_new_sample_changes_the_median_for_the_same_window()
    {
        var s = new FirstResponseSamples();
        s.Add(100, 2);
        Assert.True(s.TryMedian(90, out double m1));
        Assert.Equal(2, m1);

        s.Add(101, 4);
        Assert.True(s.TryMedian(90, out double m2));
        Assert.Equal(3, m2);

        s.Add(102, 10);
        Assert.True(s.TryMedian(90, out double m3));
        Assert.Equal(4, m3);
    }

    [Fact]
    public void A_moving_window_drops_old_samples_and_asking_again_for_an_earlier_start_brings_them_back()
    {
        var s = new FirstResponseSamples();
        s.Add(100, 1);
        s.Add(110, 5);
        s.Add(111, 7);
        Assert.True(s.TryMedian(100, out double all));
        Assert.Equal(5, all);
        Assert.True(s.TryMedian(105, out double recent));
        Assert.Equal(6, recent);
        Assert.False(s.TryMedian(112, out _));
        Assert.True(s.TryMedian(100, out double again));
        Assert.Equal(5, again);
    }

    [Fact]
    public void The_ring_keeps_the_newest_samples_once_full()
    {
        var s = new FirstResponseSamples();
        for (int i = 0; i < FirstResponseSamples.Capacity; i++)
        {
            s.Add(10, 100);
        }
        Assert.True(s.TryMedian(0, out double before));
        Assert.Equal(100, before);
        for (int i = 0; i < FirstResponseSamples.Capacity; i++)
        {
            s.Add(11, 1);
        }
        Assert.Equal(FirstResponseSamples.Capacity, s.Count);
        Assert.True(s.TryMedian(0, out double after));
        Assert.Equal(1, after);
    }
}
