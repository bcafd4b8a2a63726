using CsMetrics.Benchmarks.Infrastructure;

namespace CsMetrics.Benchmarks.Scenarios;

/// <summary>
/// (7) Recovery: with checkpoints held off (interval 10 h), 1M signals go in through durable
/// HTTP ingest, the server is killed with SIGKILL, and a new process on the same data directory
/// is timed from its start until /readyz answers 200 (replay of the whole log included).
/// </summary>
public static class RecoveryScenario
{
    public static async Task RunAsync(BenchContext context)
    {
        int signals = context.Size(1_000_000, 100_000);
        const int chunk = 100_000;
        var noCheckpoints = new Dictionary<string, string> { ["CsMetrics__Checkpoint__Interval"] = "10:00:00" };
        using var dir = BenchContext.NewTempDirectory("recovery");
        var (server, _) = await BenchServer.StartAsync(dir.Path, noCheckpoints);
        await using (server)
        {
            using var client = server.Client();
            var started = System.Diagnostics.Stopwatch.StartNew();
            for (int sent = 0; sent < signals; sent += chunk)
            {
                int n = Math.Min(chunk, signals - sent);
                var batches = SignalWorkload.ToJsonBatches(context.Workload.Generate(n, $"r{sent}", stream: sent), IngestScenario.BatchSize);
                await HttpIngestLoad.SendAsync(client, HttpIngestLoad.IngestPath, batches, n, IngestScenario.Concurrency);
            }
            Console.WriteLine($"  {signals:N0} signals logged in {started.Elapsed.TotalSeconds:F1} s; kill -9");
            await server.KillAsync();
        }

        var (restarted, readyAfter) = await BenchServer.StartAsync(dir.Path, noCheckpoints, TimeSpan.FromMinutes(5));
        await using (restarted)
        {
            context.Results.Record("recoverySeconds", readyAfter.TotalSeconds,
                $"process start → /readyz 200 after kill -9 with {signals:N0} signals logged since the last checkpoint (replay included)");
        }
    }
}
