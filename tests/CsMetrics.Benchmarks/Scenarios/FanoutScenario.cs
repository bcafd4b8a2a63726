using CsMetrics.Benchmarks.Infrastructure;

namespace CsMetrics.Benchmarks.Scenarios;

/// <summary>
/// (6) Fan-out: 1,000 SignalR watchers on one watchlist; signals at a fixed rate change its
/// accounts; deliveries (an account change received by a watcher) per second and their p99
/// from the ingest response.
/// </summary>
public static class FanoutScenario
{
    public static async Task RunAsync(BenchContext context)
    {
        int watchers = context.Size(1_000, 1_000);
        // 10 % over the target's rate: 110 account changes/s × 1,000 watchers = 110,000 deliveries/s
        // offered. At exactly the target the measured rate could only reach it by luck (any jitter
        // between the first and the last delivery's latency stretches the span); over it, a server
        // that keeps up shows the offered rate and one that does not shows what it sustains.
        int signalsPerSecond = 110_000 / watchers;
        using var dir = BenchContext.NewTempDirectory("fanout");
        var (server, _) = await BenchServer.StartAsync(dir.Path);
        await using (server)
        {
            await using var live = await LiveWatchers.CreateAsync(server, "fan", 1_000, 1);
            await live.ConnectAsync("fan", 1, watchers, parallel: 32);
            await live.RunAsync(100, TimeSpan.FromSeconds(2)); // warm-up

            var duration = TimeSpan.FromSeconds(context.Size(10, 4));
            var cpu = CpuShares.Start(server);
            double seconds = await live.RunAsync(signalsPerSecond, duration);
            context.Results.Note("fanout", $"CPU over the run (sending, then until deliveries settled): {cpu.Describe()}");
            // Deliveries over the span in which they arrived (first to last): the sustained rate.
            double rate = live.Deliveries / seconds;
            context.Results.Record("fanoutDeliveriesPerSec", rate,
                $"{watchers:N0} watchers on one watchlist, {signalsPerSecond:N0} account changes/s offered ({signalsPerSecond * watchers:N0} deliveries/s) for {duration.TotalSeconds:F0} s; {live.Deliveries:N0} delivered over {seconds:F2} s (first to last delivery)");
            context.Results.Record("fanoutP99Ms", live.Latency.PercentileMilliseconds(99), $"same run; p50 {live.Latency.PercentileMilliseconds(50):F1} ms, max {live.Latency.MaxMilliseconds:F0} ms");
        }
    }
}
