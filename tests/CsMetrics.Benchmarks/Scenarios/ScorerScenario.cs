using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using CsMetrics.Benchmarks.Infrastructure;

namespace CsMetrics.Benchmarks.Scenarios;

/// <summary>
/// (8) BenchmarkDotNet with the memory diagnoser on <see cref="ScorerBenchmarks"/>, in process
/// (no child build, so it fits the suite's time budget), one invocation per iteration (one day).
/// </summary>
public static class ScorerScenario
{
    public static Task RunAsync(BenchContext context)
    {
        var job = Job.Dry
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithInvocationCount(1).WithUnrollFactor(1)
            .WithWarmupCount(context.Size(12, 8))
            .WithIterationCount(context.Size(10, 4))
            .WithId("short-in-process");
        var config = ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddLogger(new ConsoleLogger())
            .AddColumnProvider(BenchmarkDotNet.Columns.DefaultColumnProviders.Instance)
            .WithOptions(ConfigOptions.DisableLogFile | ConfigOptions.JoinSummary)
            .WithArtifactsPath(Path.Combine(Path.GetTempPath(), $"csm-bench-bdn-{Guid.NewGuid():N}"));
        BenchmarkDotNet.Reports.Summary summary;
        try
        {
            summary = BenchmarkRunner.Run<ScorerBenchmarks>(config);
        }
        finally
        {
            Directory.Delete(config.ArtifactsPath, recursive: true);
        }
        var report = summary.Reports.Single();
        long? bytes = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase);
        double nanos = report.ResultStatistics?.Median ?? double.NaN;
        context.Results.Record("scorerAllocatedBytesPerSignal", bytes ?? double.NaN,
            $"BenchmarkDotNet MemoryDiagnoser, apply + rescore per signal, {ScorerBenchmarks.Accounts} accounts in steady state, {nanos:F0} ns/signal");
        if (ScorerBenchmarks.SignalsAfterSetup > 0)
        {
            context.Results.Note("scorer", $"the memory diagnoser measures one extra invocation, i.e. one day; over all {ScorerBenchmarks.SignalsAfterSetup / ScorerBenchmarks.SignalsPerDay} days after the setup the scorer allocated {(double)ScorerBenchmarks.AllocatedAfterSetup / ScorerBenchmarks.SignalsAfterSetup:F2} B per signal (this thread): tables that grow with the days the accounts have lived (mostly the long memory's per-day maps of CSAT answers and reopens; `scorer-days` lists each day's by kind of signal), not objects per signal");
        }
        return Task.CompletedTask;
    }
}
