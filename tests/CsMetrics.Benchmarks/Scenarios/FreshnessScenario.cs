using CsMetrics.Benchmarks.Infrastructure;

namespace CsMetrics.Benchmarks.Scenarios;

/// <summary>
/// (4) Freshness: ingest response → watchlist delta at a SignalR watcher, with 50 watchers over
/// 10 watchlists, at 2,000 signals/s and again at 20,000 signals/s (fixed send rate).
/// </summary>
public static class FreshnessScenario
{
    public static async Task RunAsync(BenchContext context)
    {
        const int watchlists = 10;
        int accounts = context.Size(10_000, 2_000);
        using var dir = BenchContext.NewTempDirectory("freshness");
        var (server, _) = await BenchServer.StartAsync(dir.Path);
        await using (server)
        {
            await using var live = await LiveWatchers.CreateAsync(server, "fresh", accounts, watchlists);
            await live.ConnectAsync("fresh", watchlists, perWatchlist: 5);
            await live.RunAsync(500, TimeSpan.FromSeconds(2)); // warm-up

            var duration = TimeSpan.FromSeconds(context.Size(10, 4));
            var slowCpu = CpuShares.Start(server);
            await live.RunAsync(2_000, duration);
            string slowShares = slowCpu.Describe();
            var slow = live.Latency;
            context.Results.Record("freshnessP50Ms", slow.PercentileMilliseconds(50), $"2,000 signals/s for {duration.TotalSeconds:F0} s, 50 watchers over 10 watchlists, {slow.Count:N0} deliveries timed");
            context.Results.Record("freshnessP99Ms", slow.PercentileMilliseconds(99), $"same run; max {slow.MaxMilliseconds:F0} ms");

            var fastCpu = CpuShares.Start(server);
            await live.RunAsync(20_000, TimeSpan.FromSeconds(context.Size(10, 3)));
            string fastShares = fastCpu.Describe();
            var fast = live.Latency;
            context.Results.Record("freshnessP99MsAt20k", fast.PercentileMilliseconds(99), $"20,000 signals/s; p50 {fast.PercentileMilliseconds(50):F1} ms, max {fast.MaxMilliseconds:F0} ms, {fast.Count:N0} deliveries timed");
            context.Results.Note("freshness", $"CPU over the run (sending, then until deliveries settled): at 2,000 signals/s {slowShares}; at 20,000 signals/s {fastShares}");
        }
    }
}
