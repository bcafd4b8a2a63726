using CsMetrics.Benchmarks.Infrastructure;
using System.Diagnostics;
using CsMetrics.Contracts.Index;
using CsMetrics.Grains;
using CsMetrics.Grains.Accounts;
using CsMetrics.Grains.Calibration;
using CsMetrics.Grains.Ingest;
using CsMetrics.Scoring.Signals;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CsMetrics.Benchmarks;

/// <summary>
/// The calibration report's cost: N paying accounts in one silo, 2 % of them churned 10 days ago,
/// then the report (1) as served, churned accounts from the calibration shards and a sample of
/// 5,000 retained accounts asked, and (2) with every account asked (the full fan-out it avoids).
/// </summary>
public static class CalibrationBenchmark
{
    public static async Task RunAsync(int accounts)
    {
        using var dir = BenchContext.NewTempDirectory("calibration");
        using var host = await InProcessSilo.StartInMemoryAsync(dir.Path);
        try
        {
            var ingestor = host.Services.GetRequiredService<SignalIngestor>();
            var grains = host.Services.GetRequiredService<IGrainFactory>();
            var now = DateTimeOffset.UtcNow;
            var load = Stopwatch.StartNew();
            var batch = new List<Signal>(5000);
            int churned = 0;
            for (int i = 0; i < accounts; i++)
            {
                string id = $"acc-{i:000000}";
                batch.Add(new Signal { Id = $"{id}-r", AccountId = id, Type = SignalType.Revenue, Timestamp = now.AddDays(-200), Mrr = 1000 });
                batch.Add(new Signal { Id = $"{id}-s", AccountId = id, Type = SignalType.Survey, Timestamp = now.AddDays(-30), SurveyKind = SurveyKind.Nps, SurveyScore = i % 11, RespondentId = "p" });
                if (i % 50 == 0)
                {
                    churned++;
                    batch.Add(new Signal { Id = $"{id}-c", AccountId = id, Type = SignalType.Revenue, Timestamp = now.AddDays(-10), Mrr = 0 });
                }
                if (batch.Count >= 4500)
                {
                    await ingestor.IngestAsync([.. batch]);
                    batch.Clear();
                }
            }
            if (batch.Count > 0)
            {
                await ingestor.IngestAsync([.. batch]);
            }
            int listed;
            while ((listed = (await Task.WhenAll(Enumerable.Range(0, AccountIndex.ShardCount).Select(s => grains.GetGrain<IAccountIndexShard>(s).Count()))).Sum()) < accounts)
            {
                await Task.Delay(1000);
            }
            load.Stop();

            var gatherer = host.Services.GetRequiredService<CalibrationGatherer>();
            CalibrationReport sampled = null!, full = null!;
            // Twice each: the first also activates the calibration shards.
            for (int round = 0; round < 2; round++)
            {
                sampled = await gatherer.GatherAsync(90);
                full = await gatherer.GatherAsync(90, sampleSize: accounts);
            }
            Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}");
            Console.WriteLine($"accounts loaded: {accounts:N0} ({churned:N0} churned) in {load.Elapsed.TotalSeconds:F1} s");
            Console.WriteLine($"calibration, sampled:  {sampled.Elapsed.TotalMilliseconds,8:F0} ms  churned {sampled.Summary.Churned:N0}, asked {sampled.AccountsAsked:N0}, retained represented {sampled.Summary.RetainedRepresented:N0}");
            Console.WriteLine($"calibration, everyone: {full.Elapsed.TotalMilliseconds,8:F0} ms  churned {full.Summary.Churned:N0}, asked {full.AccountsAsked:N0}, retained {full.Summary.RetainedCounted:N0}");
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
