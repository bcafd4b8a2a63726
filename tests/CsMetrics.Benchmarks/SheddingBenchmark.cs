using System.Diagnostics;
using CsMetrics.Benchmarks.Infrastructure;
using CsMetrics.Benchmarks.Scenarios;
using CsMetrics.Contracts.Accounts;
using CsMetrics.Grains;
using CsMetrics.Grains.Ingest;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CsMetrics.Benchmarks;

/// <summary>
/// Whether a memory-bounded node stays up while more accounts arrive than fit: N accounts get the
/// memory scenario's 15 signals each, <c>--rate</c> new accounts a second (0: as fast as it goes),
/// into an in-process silo with the embedded SQLite state. Run it under a limit and with shedding
/// on, e.g. 1M accounts in a 6 GB heap (what an 8 GB container gets):
/// <code>DOTNET_GCHeapHardLimit=0x180000000 CsMetrics__Memory__ShedAbovePercent=80 dotnet run -c Release --project tests/CsMetrics.Benchmarks -- shedding --accounts 1000000 --rate 3000</code>
/// A batch refused for memory (IngestAdmission) is sent again after its Retry-After, as a client would.
/// Prints heap, working set, resident accounts and refused batches every 100,000 accounts, then checks a sample of
/// accounts for their signals (shed ones come back from their state).
/// </summary>
public static class SheddingBenchmark
{
    public static async Task RunAsync(int accounts, int perSecond)
    {
        var context = new BenchContext(quick: false, new BenchmarkResults(), DateTimeOffset.UtcNow);
        using var dir = BenchContext.NewTempDirectory("shedding");
        using var host = await InProcessSilo.StartAsync(dir.Path);
        try
        {
            var ingestor = host.Services.GetRequiredService<SignalIngestor>();
            var grains = host.Services.GetRequiredService<IGrainFactory>();
            var memory = host.Services.GetRequiredService<IOptions<MemoryOptions>>().Value;
            Console.WriteLine($"heap limit {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1048576:N0} MB; shedding above {memory.ShedAbovePercent} %, ingest refused above {memory.RefuseIngestLimit} % (0: off); {accounts:N0} accounts × 15 signals, {(perSecond > 0 ? $"{perSecond:N0} new accounts/s" : "as fast as it goes")}");
            var watch = Stopwatch.StartNew();
            var process = Process.GetCurrentProcess();
            long peakWorkingSet = 0, peakHeap = 0;
            const int chunk = 2000;
            for (int first = 0; first < accounts; first += chunk)
            {
                var signals = Enumerable.Range(first, Math.Min(chunk, accounts - first))
                    .SelectMany(a => MemoryScenario.SignalsFor(context, SignalWorkload.AccountId(a), a, 15)).ToArray();
                await EngineScenario.IngestAsync(ingestor, signals);
                if (perSecond > 0 && TimeSpan.FromSeconds((first + chunk) / (double)perSecond) - watch.Elapsed is { } ahead && ahead > TimeSpan.Zero)
                {
                    await Task.Delay(ahead);
                }
                process.Refresh();
                peakWorkingSet = Math.Max(peakWorkingSet, process.WorkingSet64);
                peakHeap = Math.Max(peakHeap, GC.GetGCMemoryInfo().HeapSizeBytes);
                if ((first + chunk) % 100_000 == 0 || first + chunk >= accounts)
                {
                    var stats = await grains.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
                    long resident = stats.Where(s => s.GrainType.Contains("AccountGrain", StringComparison.Ordinal)).Sum(s => (long)s.ActivationCount);
                    Console.WriteLine($"  {Math.Min(first + chunk, accounts),9:N0} accounts {watch.Elapsed.TotalSeconds,5:F0} s  heap {GC.GetGCMemoryInfo().HeapSizeBytes / 1048576,6:N0} MB  working set {process.WorkingSet64 / 1048576,6:N0} MB  resident {resident,9:N0}  shed-triggered GCs {host.Services.GetRequiredService<MemoryPressureTrigger>().Triggered}  refused batches {EngineScenario.RefusedBatches:N0}");
                }
            }
            Console.WriteLine($"loaded {accounts:N0} accounts in {watch.Elapsed.TotalSeconds:F0} s; peak heap {peakHeap / 1048576:N0} MB, peak working set {peakWorkingSet / 1048576:N0} MB");

            int missing = 0;
            var random = new Random(1);
            for (int i = 0; i < 2000; i++)
            {
                var view = await grains.GetGrain<IAccountGrain>(SignalWorkload.AccountId(random.Next(accounts))).GetView();
                missing += view is null || view.LastSignalAt is null ? 1 : 0;
            }
            Console.WriteLine($"sample of 2,000 accounts: {missing} without their state");
        }
        finally
        {
            // A graceful stop deactivates every resident account: only recently applied or
            // unwritten ones write again (AccountGrain.HandOffWindow).
            var stopping = Stopwatch.StartNew();
            await host.StopAsync();
            Console.WriteLine($"stopped in {stopping.Elapsed.TotalSeconds:F0} s");
        }
    }
}
