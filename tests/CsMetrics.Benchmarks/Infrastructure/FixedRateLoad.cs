using System.Diagnostics;

namespace CsMetrics.Benchmarks.Infrastructure;

/// <summary>
/// Fires operations on a fixed schedule (operation i at start + i/rate), never waiting for
/// earlier ones: a slow server does not slow the sender down, so a stall shows up in the
/// latencies instead of being hidden (no coordinated omission). Each operation gets its own
/// scheduled timestamp (Stopwatch ticks) to measure from.
/// </summary>
public static class FixedRateLoad
{
    public static async Task<int> RunAsync(double operationsPerSecond, TimeSpan duration, Func<long, long, Task> operation)
    {
        long start = Stopwatch.GetTimestamp();
        double ticksPerOperation = Stopwatch.Frequency / operationsPerSecond;
        long total = (long)(duration.TotalSeconds * operationsPerSecond);
        var inFlight = new List<Task>((int)Math.Min(total, 1_000_000));
        for (long i = 0; i < total; i++)
        {
            long scheduled = start + (long)(i * ticksPerOperation);
            long wait = scheduled - Stopwatch.GetTimestamp();
            if (wait > Stopwatch.Frequency / 500)
            {
                // Sleep while more than 2 ms ahead (timer resolution is ~1 ms); late operations go out at once.
                await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency) - TimeSpan.FromMilliseconds(1));
            }
            inFlight.Add(operation(i, scheduled));
        }
        await Task.WhenAll(inFlight);
        return inFlight.Count;
    }

    public static double MillisecondsSince(long timestamp) => Stopwatch.GetElapsedTime(timestamp).TotalMilliseconds;
}
