using CsMetrics.Benchmarks.Infrastructure;
using CsMetrics.Grains.Ingest;

namespace CsMetrics.Benchmarks.Scenarios;

/// <summary>
/// (7) Recovery: checkpoints held off (interval 10 h), signals go in through durable HTTP ingest,
/// the server is killed with SIGKILL, and a new process on the same data directory is timed from
/// its start until /readyz answers 200 (the replay of every logged signal included). To keep the
/// suite inside its time budget only the first 100,000 signals travel over HTTP; the rest of the
/// 1M are appended to the dead server's ingest log with the product's own log class and codec
/// (exactly what its ingest would have written), before the restart.
/// </summary>
public static class RecoveryScenario
{
    public const int OverHttp = 100_000;
    /// <summary>Timed restarts of the same killed state (odd, for a median).</summary>
    public const int Restarts = 3;

    private static readonly Dictionary<string, string> NoCheckpoints = new()
    {
        ["CsMetrics__Checkpoint__Interval"] = "10:00:00",
        // Its "Recovered … in …" line splits the time into process start and replay.
        ["Logging__LogLevel__CsMetrics.Grains.Ingest.IngestLifecycle"] = "Information",
    };

    public static async Task RunAsync(BenchContext context)
    {
        int signals = context.Size(1_000_000, 150_000);
        using var killed = BenchContext.NewTempDirectory("recovery-killed");
        await PrepareKilledStateAsync(context, signals, killed.Path);
        // The benchmark process drops its generated input first, so its own GC does not run
        // during a timed start.
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var times = await TimeRestartsAsync(killed.Path, Restarts);
        times.Sort();
        context.Results.Record("recoverySeconds", times[times.Count / 2],
            $"process start → /readyz 200 after kill -9 with {signals:N0} signals logged since the last checkpoint ({OverHttp:N0} over HTTP, the rest appended to its log), replay included; median of {Restarts} restarts of the same killed state (min {times[0]:F1} s, max {times[^1]:F1} s)");
    }

    /// <summary>
    /// <c>recovery-state DIR [--quick]</c>: leaves the scenario's killed data directory in
    /// <paramref name="dir"/>, so that builds or runtime settings can be compared on the same
    /// state with <see cref="RestartOnlyAsync"/> (one restart is one sample of a shared machine;
    /// a new state per sample would add the state's own variation).
    /// </summary>
    public static async Task<bool> PrepareOnlyAsync(BenchContext context, string dir)
    {
        Directory.CreateDirectory(dir);
        if (Directory.EnumerateFileSystemEntries(dir).Any())
        {
            Console.WriteLine($"{dir} is not empty: a killed state goes into an empty folder");
            return false;
        }
        int signals = context.Size(1_000_000, 150_000);
        await PrepareKilledStateAsync(context, signals, dir);
        Console.WriteLine($"killed state with {signals:N0} logged signals in {dir}");
        return true;
    }

    /// <summary>
    /// <c>recovery-restart DIR [--runs N]</c>: times N restarts of copies of a killed state made by
    /// <see cref="PrepareOnlyAsync"/> with the server built next to this benchmark. Environment
    /// variables other than CSMETRICS_*, CsMetrics__* and ASPNETCORE_* reach the server, so a
    /// runtime setting (DOTNET_…) can be tried without a rebuild; to compare two builds, run each
    /// build's benchmark output folder in turn (alternating, on the same state).
    /// </summary>
    public static async Task RestartOnlyAsync(string dir, int runs)
    {
        var times = await TimeRestartsAsync(dir, runs);
        times.Sort();
        Console.WriteLine($"ready after: median {times[times.Count / 2]:F2} s, min {times[0]:F2}, max {times[^1]:F2} ({runs} restarts)");
    }

    private static async Task PrepareKilledStateAsync(BenchContext context, int signals, string dir)
    {
        const int chunk = 100_000;
        var (server, _) = await BenchServer.StartAsync(dir, NoCheckpoints);
        await using (server)
        {
            using var client = server.Client();
            var started = System.Diagnostics.Stopwatch.StartNew();
            var batches = SignalWorkload.ToJsonBatches(context.Workload.Generate(OverHttp, "r0", stream: 0), IngestScenario.BatchSize);
            await HttpIngestLoad.SendAsync(client, HttpIngestLoad.IngestPath, batches, OverHttp, IngestScenario.Concurrency);
            Console.WriteLine($"  {OverHttp:N0} signals over HTTP in {started.Elapsed.TotalSeconds:F1} s; kill -9");
            await server.KillAsync();
        }

        await using var log = new SqliteIngestLog(Path.Combine(dir, "ingest-log.db"));
        for (int sent = OverHttp; sent < signals; sent += chunk)
        {
            var generated = context.Workload.Generate(Math.Min(chunk, signals - sent), $"r{sent}", stream: sent);
            await Task.WhenAll(generated.Chunk(IngestScenario.BatchSize).Select(b => log.AppendAsync(SignalCodec.Encode(b)).AsTask()));
        }
    }

    /// <summary>
    /// Restarts the killed state <paramref name="runs"/> times, each from its own copy (each
    /// restart killed again, as the first one was: a clean stop would checkpoint, and take the next
    /// restart's time), and returns the seconds from process start to /readyz 200.
    /// </summary>
    private static async Task<List<double>> TimeRestartsAsync(string killedDir, int runs)
    {
        var times = new List<double>();
        for (int run = 0; run < runs; run++)
        {
            using var copy = BenchContext.NewTempDirectory("recovery-restart");
            CopyDirectory(killedDir, copy.Path);
            var (restarted, readyAfter) = await BenchServer.StartAsync(copy.Path, NoCheckpoints, TimeSpan.FromMinutes(8));
            await using (restarted)
            {
                string? replayLine = restarted.Output.Split('\n').LastOrDefault(l => l.Contains("Recovered", StringComparison.Ordinal));
                Console.WriteLine($"  restart {run + 1}/{runs}: ready after {readyAfter.TotalSeconds:F1} s; server: {replayLine?.Trim() ?? "(no replay line)"}");
                times.Add(readyAfter.TotalSeconds);
                await restarted.KillAsync();
            }
        }
        return times;
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (string file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        }
    }
}
