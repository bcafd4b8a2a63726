using CsMetrics.Grains.Ingest;

namespace CsMetrics.Grains.Tests.Ingest;

public sealed class AppliedWatermarkTests
{
    [Fact]
    public void Starts_at_zero_and_follows_in_order_completions()
    {
        var w = new AppliedWatermark();
        Assert.Equal(0, w.Through);
        w.Complete(1);
        w.Complete(2);
        w.Complete(3);
        Assert.Equal(3, w.Through);
    }

    [Fact]
    public void Out_of_order_completions_only_advance_over_the_contiguous_prefix()
    {
        var w = new AppliedWatermark();
        w.Complete(3);
        w.Complete(2);
        Assert.Equal(0, w.Through); // 1 is still on its way
        w.Complete(5);
        w.Complete(1);
        Assert.Equal(3, w.Through); // 4 missing
        w.Complete(7);
        w.Complete(4);
        Assert.Equal(5, w.Through); // 6 missing
        w.Complete(6);
        Assert.Equal(7, w.Through);
    }

    [Fact]
    public void Repeated_or_already_covered_completions_change_nothing()
    {
        var w = new AppliedWatermark();
        w.Complete(1);
        w.Complete(1);
        Assert.Equal(1, w.Through);
        w.Complete(3);
        w.Complete(3);
        Assert.Equal(1, w.Through);
        w.Complete(2);
        Assert.Equal(3, w.Through);
        w.Complete(2);
        Assert.Equal(3, w.Through);
        w.Complete(4);
        Assert.Equal(4, w.Through);
    }

    [Fact]
    public void Reset_starts_after_recovery_and_forgets_completions_ahead()
    {
        var w = new AppliedWatermark();
        w.Complete(3);
        w.Reset(10);
        Assert.Equal(10, w.Through);
        w.Complete(9);
        Assert.Equal(10, w.Through);
        w.Complete(12);
        Assert.Equal(10, w.Through);
        w.Complete(11);
        Assert.Equal(12, w.Through);
    }

    [Fact]
    public async Task Concurrent_completions_in_any_order_end_at_the_highest()
    {
        const int N = 10_000;
        var w = new AppliedWatermark();
        var order = Enumerable.Range(1, N).Select(i => (long)i).OrderBy(_ => Random.Shared.Next()).ToArray();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (int i = t; i < N; i += 4)
            {
                w.Complete(order[i]);
            }
        })));
        Assert.Equal(N, w.Through);
    }
}
