using CsMetrics.Benchmarks.Infrastructure;
using System.Diagnostics;
using CsMetrics.Contracts.Index;
using CsMetrics.Grains;
using CsMetrics.Grains.Accounts;
using CsMetrics.Grains.Ingest;
using CsMetrics.Grains.Sweeps;
using CsMetrics.Scoring.Signals;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CsMetrics.Benchmarks;

/// <summary>
/// The silence sweep's cost: N accounts with a few signals each in one silo, then (1) a sweep
/// with nothing due (the scan the shards do every tick) and (2) a sweep with every account due
/// (each account re-evaluated as time passes). Reported per account, with the machine.
/// </summary>
public static class SweepBenchmark
{
    public static async Task RunAsync(int accounts)
    {
        using var dir = BenchContext.NewTempDirectory("sweep");
        using var host = await InProcessSilo.StartInMemoryAsync(dir.Path, silo =>
        {
            silo.Services.PostConfigure<SweepOptions>(o =>
            {
                o.Interval = TimeSpan.FromDays(3650);
                o.ChunkSize = 2000;
            });
        });
        try
        {
            var ingestor = host.Services.GetRequiredService<SignalIngestor>();
            var grains = host.Services.GetRequiredService<IGrainFactory>();
            var now = DateTimeOffset.UtcNow;
            var load = Stopwatch.StartNew();
            var batch = new List<Signal>(5000);
            for (int i = 0; i < accounts; i++)
            {
                string id = $"acc-{i:000000}";
                batch.Add(new Signal { Id = $"{id}-u", AccountId = id, Type = SignalType.Usage, Timestamp = now.AddDays(-3), UserId = "u1", Feature = "reports.export" });
                batch.Add(new Signal { Id = $"{id}-t", AccountId = id, Type = SignalType.Ticket, Timestamp = now.AddDays(-2), TicketId = "T-1", TicketStatus = TicketStatus.Opened });
                batch.Add(new Signal { Id = $"{id}-r", AccountId = id, Type = SignalType.Revenue, Timestamp = now.AddDays(-40), Mrr = 1000 });
                if (batch.Count >= 4500)
                {
                    await ingestor.IngestAsync([.. batch]);
                    batch.Clear();
                    if (i % 10_000 < 1500)
                    {
                        Console.WriteLine($"  {i:N0} accounts after {load.Elapsed.TotalSeconds:F1} s");
                    }
                }
            }
            if (batch.Count > 0)
            {
                await ingestor.IngestAsync([.. batch]);
            }
            Console.WriteLine($"ingested {accounts * 3:N0} signals in {load.Elapsed.TotalSeconds:F1} s; waiting for the index");
            // Index updates are one-way: wait until every account is listed.
            int listed;
            while ((listed = (await Task.WhenAll(Enumerable.Range(0, AccountIndex.ShardCount).Select(s => grains.GetGrain<IAccountIndexShard>(s).Count()))).Sum()) < accounts)
            {
                Console.WriteLine($"  listed {listed:N0} after {load.Elapsed.TotalSeconds:F1} s");
                await Task.Delay(2000);
            }
            load.Stop();

            var sweeper = host.Services.GetRequiredService<SilenceSweeper>();
            GC.Collect();
            var idle = await sweeper.SweepOnceAsync();
            // Everyone is due now (the sweeper reads the options on every sweep).
            host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SweepOptions>>().Value.Interval = TimeSpan.Zero;
            var full = await sweeper.SweepOnceAsync();
            var second = await sweeper.SweepOnceAsync();

            // What-if: every account scored under a proposed scorecard (red cut-off moved to 60).
            string proposed = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "config", "scorecard.default.json")).Replace("\"red\": 40", "\"red\": 60");
            var previewWatch = Stopwatch.StartNew();
            var previews = await Task.WhenAll(Enumerable.Range(0, AccountIndex.ShardCount).Select(s => grains.GetGrain<IAccountIndexShard>(s).Preview(proposed)));
            previewWatch.Stop();
            int changed = previews.SelectMany(p => p).Count(p => p.BandBefore != p.BandAfter);

            Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}");
            Console.WriteLine($"accounts loaded: {accounts:N0} ({accounts * 3:N0} signals) in {load.Elapsed.TotalSeconds:F1} s");
            Console.WriteLine($"sweep, nothing due:  touched {idle.Touched,8:N0} in {idle.Elapsed.TotalMilliseconds,8:F0} ms  ({idle.Elapsed.TotalMilliseconds * 1000 / accounts:F2} µs/account scanned)");
            Console.WriteLine($"sweep, all due:      touched {full.Touched,8:N0} in {full.Elapsed.TotalMilliseconds,8:F0} ms  ({full.Elapsed.TotalMilliseconds * 1000 / Math.Max(1, full.Touched):F1} µs/account re-evaluated)");
            Console.WriteLine($"sweep, again:        touched {second.Touched,8:N0} in {second.Elapsed.TotalMilliseconds,8:F0} ms");
            Console.WriteLine($"scorecard preview:   {previews.Sum(p => p.Length),8:N0} accounts in {previewWatch.Elapsed.TotalMilliseconds,8:F0} ms  ({changed:N0} would change band)");
            Console.WriteLine($"managed heap after sweeps: {GC.GetTotalMemory(true) / 1024 / 1024:N0} MB; working set {Environment.WorkingSet / 1024 / 1024:N0} MB");
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
