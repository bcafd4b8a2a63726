using System.Diagnostics;
using CsMetrics.Benchmarks.Infrastructure;
using CsMetrics.Benchmarks.Scenarios;

namespace CsMetrics.Benchmarks;

/// <summary>
/// dotnet run -c Release --project tests/CsMetrics.Benchmarks -- all [--quick]
///   | --quick | &lt;scenario&gt;… [--quick]
///   | sweep | metrics | metrics-query | calibration [--accounts N] | metrics-account [--users N] | voc [--accounts comments]
///   | shedding [--accounts N] [--rate new-accounts-per-second] | scorer-days [--days N]
///   | recovery-state DIR [--quick] | recovery-restart DIR [--runs N]
/// "all" (or --quick alone) runs every scenario and writes docs/benchmarks.json and
/// docs/benchmarks.md; named scenarios only print their table.
/// </summary>
public static class BenchmarkProgram
{
    private static readonly (string Name, Func<BenchContext, Task> Run)[] Scenarios =
    [
        ("scorer", ScorerScenario.RunAsync),
        ("engine", EngineScenario.RunAsync),
        ("memory", MemoryScenario.RunAsync),
        ("floor", FloorScenario.RunAsync),
        ("ingest", IngestScenario.RunAsync),
        ("postgres", PostgresScenario.RunAsync),
        ("freshness", FreshnessScenario.RunAsync),
        ("fanout", FanoutScenario.RunAsync),
        ("recovery", RecoveryScenario.RunAsync),
    ];

    public static async Task<int> Main(string[] args)
    {
        // Single measurements outside the suite (they print, they do not write docs/benchmarks.*).
        int accounts = args.SkipWhile(a => a != "--accounts").Skip(1).Select(int.Parse).FirstOrDefault(100_000);
        switch (args.FirstOrDefault())
        {
            case "scorer-days":
                ScorerDays.Run(args.SkipWhile(a => a != "--days").Skip(1).Select(int.Parse).FirstOrDefault(10));
                return 0;
            case "recovery-state" when args.Length > 1:
                return await RecoveryScenario.PrepareOnlyAsync(new BenchContext(args.Contains("--quick"), new BenchmarkResults(), DateTimeOffset.UtcNow), args[1]) ? 0 : 2;
            case "recovery-restart" when args.Length > 1:
                await RecoveryScenario.RestartOnlyAsync(args[1], args.SkipWhile(a => a != "--runs").Skip(1).Select(int.Parse).FirstOrDefault(RecoveryScenario.Restarts));
                return 0;
            case "sweep":
                await SweepBenchmark.RunAsync(accounts);
                return 0;
            case "metrics":
                await MetricsBenchmark.RunAsync(accounts);
                return 0;
            case "metrics-query":
                MetricsQueryBenchmark.Run(accounts);
                return 0;
            case "metrics-account":
                MetricsAccountBenchmark.Run(args.SkipWhile(a => a != "--users").Skip(1).Select(int.Parse).FirstOrDefault(20));
                return 0;
            case "calibration":
                await CalibrationBenchmark.RunAsync(accounts);
                return 0;
            case "shedding":
                await SheddingBenchmark.RunAsync(accounts, args.SkipWhile(a => a != "--rate").Skip(1).Select(int.Parse).FirstOrDefault(0));
                return 0;
            case "voc":
                await VocBenchmark.RunAsync(Math.Min(accounts, CsMetrics.Grains.Voc.VocCommentStoreGrain.MaxComments));
                return 0;
        }

        bool quick = args.Contains("--quick");
        var names = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
        bool all = names.Count == 0 && quick || names.Remove("all") || names.Count == 0 && args.Length > 0;
        if (!all && names.Count == 0 || names.Any(n => Scenarios.All(s => s.Name != n)))
        {
            Console.WriteLine($"usage: all [--quick] | --quick | <scenario>… [--quick] | sweep|metrics|metrics-query|calibration|voc [--accounts N] | metrics-account [--users N] | shedding [--accounts N] [--rate A] | scorer-days [--days N] | recovery-state DIR [--quick] | recovery-restart DIR [--runs N]\nscenarios: {string.Join(", ", Scenarios.Select(s => s.Name))}");
            return 2;
        }

        var selected = all ? Scenarios : Scenarios.Where(s => names.Contains(s.Name)).ToArray();
        var results = new BenchmarkResults();
        var context = new BenchContext(quick, results, DateTimeOffset.UtcNow);
        var clock = Stopwatch.StartNew();
        int failures = 0;
        var loads = new List<string>();
        foreach (var (name, run) in selected)
        {
            loads.Add($"{name} {Metadata.LoadAverageNow()}");
            Console.WriteLine($"== {name} ({clock.Elapsed.TotalSeconds:F0} s, load average {Metadata.LoadAverageNow()})");
            try
            {
                await run(context);
            }
            catch (Exception ex)
            {
                // One broken scenario must not cost the others' numbers; it is reported and fails the run.
                failures++;
                results.Note(name, $"failed: {ex.GetType().Name}: {ex.Message.Split('\n')[0]}");
                Console.WriteLine(ex);
            }
            // Leave nothing of one scenario's garbage to the next one's measurements.
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Console.WriteLine();
        Console.WriteLine(results.Table());
        if (all)
        {
            string root = RepoRoot();
            results.Write(root, Metadata.Capture(root, quick, clock.Elapsed, string.Join(",", selected.Select(s => s.Name)), string.Join(", ", loads)));
            Console.WriteLine($"wrote {Path.Combine(root, "docs", "benchmarks.json")} and benchmarks.md in {clock.Elapsed.TotalSeconds:F0} s");
        }
        return failures == 0 ? 0 : 1;
    }

    /// <summary>The folder holding CsMetrics.sln, found upwards from the benchmark's own folder.</summary>
    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CsMetrics.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("CsMetrics.sln not found above " + AppContext.BaseDirectory);
    }
}
