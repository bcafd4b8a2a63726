namespace CsMetrics.Grains.Tests;

public sealed class BoundedTests
{
    [Fact]
    public async Task Runs_every_item_with_at_most_the_given_number_in_flight()
    {
        int running = 0, most = 0;
        var seen = new System.Collections.Concurrent.ConcurrentBag<int>();
        await Bounded.ForEachAsync(Enumerable.Range(0, 200), 7, async i =>
        {
            int now = Interlocked.Increment(ref running);
            InterlockedMax(ref most, now);
            await Task.Delay(Random.Shared.Next(0, 3));
            seen.Add(i);
            Interlocked.Decrement(ref running);
        });
        Assert.Equal(Enumerable.Range(0, 200), seen.Order());
        Assert.InRange(most, 2, 7);
    }

    [Fact]
    public async Task After_a_failure_no_item_starts_and_the_failure_is_rethrown_once_the_running_ones_ended()
    {
        int started = 0, finished = 0;
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => Bounded.ForEachAsync(Enumerable.Range(0, 100), 4, async i =>
        {
            Interlocked.Increment(ref started);
            if (i == 10)
            {
                throw new InvalidOperationException("item 10");
            }
            await Task.Delay(20);
            Interlocked.Increment(ref finished);
        }));
        Assert.Equal("item 10", failure.Message);
        // Items 0-10 and at most the three in flight beside item 10; all but the failed one ran to the end.
        Assert.InRange(started, 11, 14);
        Assert.Equal(started - 1, finished);
    }

    [Fact]
    public async Task Continues_on_the_callers_scheduler()
    {
        // A grain's scheduler runs one thing at a time, like this exclusive scheduler.
        var exclusive = new ConcurrentExclusiveSchedulerPair().ExclusiveScheduler;
        var schedulers = new System.Collections.Concurrent.ConcurrentBag<TaskScheduler>();
        await Task.Factory.StartNew(() => Bounded.ForEachAsync(Enumerable.Range(0, 20), 4, async _ =>
        {
            schedulers.Add(TaskScheduler.Current);
            await Task.Delay(1);
            schedulers.Add(TaskScheduler.Current);
        }), CancellationToken.None, TaskCreationOptions.None, exclusive).Unwrap();
        Assert.Equal(40, schedulers.Count);
        Assert.All(schedulers, s => Assert.Same(exclusive, s));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        for (int seen = Volatile.Read(ref target); value > seen; seen = Volatile.Read(ref target))
        {
            if (Interlocked.CompareExchange(ref target, value, seen) == seen)
            {
                return;
            }
        }
    }
}
