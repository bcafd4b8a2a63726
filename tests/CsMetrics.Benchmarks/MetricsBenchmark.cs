using CsMetrics.Benchmarks.Infrastructure;
using System.Diagnostics;
using CsMetrics.Contracts.Metrics;
using CsMetrics.Grains;
using CsMetrics.Grains.Accounts;
using CsMetrics.Grains.Ingest;
using CsMetrics.Scoring.Metrics;
using CsMetrics.Scoring.Signals;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CsMetrics.Benchmarks;

/// <summary>
/// The portfolio metrics query at scale: N accounts (5 segments, 20 owners), each with a year of
/// history (MRR changes incl. churn, usage by 3 users on ~24 days, NPS, tickets, touchpoints,
/// self-service) ingested through the real ingest path, newest day first; then the portfolio
/// over the year, one segment, one owner and one month, as GET /api/v1/metrics computes it
/// (16 shard queries, merge, formulas). Reported with the ingest cost, which now includes each
/// account recomputing and sending its fact deltas.
/// </summary>
public static class MetricsBenchmark
{
    public static async Task RunAsync(int accounts)
    {
        using var dir = BenchContext.NewTempDirectory("metrics");
        using var host = await InProcessSilo.StartInMemoryAsync(dir.Path);
        try
        {
            var ingestor = host.Services.GetRequiredService<SignalIngestor>();
            var grains = host.Services.GetRequiredService<IGrainFactory>();
            var yearStart = new DateTimeOffset(DateTimeOffset.UtcNow.Year - 1, 1, 1, 0, 0, 0, TimeSpan.Zero);
            var register = Stopwatch.StartNew();
            for (int start = 0; start < accounts; start += 1000)
            {
                await Task.WhenAll(Enumerable.Range(start, Math.Min(1000, accounts - start)).Select(i =>
                    grains.GetGrain<CsMetrics.Contracts.Accounts.IAccountGrain>($"acc-{i:000000}")
                        .Register(new CsMetrics.Contracts.Accounts.AccountProfile(null, $"owner-{i % 20}", $"seg-{i % 5}", 10, null))));
            }
            Console.WriteLine($"registered {accounts:N0} accounts in {register.Elapsed.TotalSeconds:F1} s");
            var load = Stopwatch.StartNew();
            long signals = 0;
            var r = new Random(1);
            var batch = new List<Signal>(5000);
            for (int i = 0; i < accounts; i++)
            {
                string id = $"acc-{i:000000}";
                var account = History(id, yearStart, r);
                signals += account.Count;
                batch.AddRange(account);
                if (batch.Count >= 4500)
                {
                    await ingestor.IngestAsync([.. batch]);
                    batch.Clear();
                }
                if (i % 10_000 == 9_999)
                {
                    Console.WriteLine($"  {i + 1:N0} accounts, {signals:N0} signals after {load.Elapsed.TotalSeconds:F1} s");
                }
            }
            if (batch.Count > 0)
            {
                await ingestor.IngestAsync([.. batch]);
            }
            load.Stop();
            Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}");
            Console.WriteLine($"ingested {accounts:N0} accounts, {signals:N0} signals in {load.Elapsed.TotalSeconds:F1} s ({load.Elapsed.TotalMilliseconds * 1000 / signals:F1} µs/signal incl. fact deltas)");

            // Let the one-way index updates of the import drain before measuring queries.
            await Task.Delay(TimeSpan.FromSeconds(10));
            GC.Collect();
            int from = DateOnly.FromDateTime(yearStart.UtcDateTime).DayNumber;
            int to = from + 364;
            foreach (var (name, query) in new[]
            {
                ("year, whole portfolio", new MetricsQuery(from, to, null, null)),
                ("year, one segment", new MetricsQuery(from, to, "seg-2", null)),
                ("year, one owner", new MetricsQuery(from, to, null, "owner-7")),
                ("one month", new MetricsQuery(from + 120, from + 150, null, null)),
            })
            {
                var times = new List<double>();
                MetricsReport? report = null;
                for (int run = 0; run < 5; run++)
                {
                    var watch = Stopwatch.StartNew();
                    var total = PeriodFacts.Empty(query.FromDay, query.ToDay);
                    var shardTime = Stopwatch.StartNew();
                    var parts = await Task.WhenAll(Enumerable.Range(0, MetricsShards.Count).Select(s => grains.GetGrain<IMetricsShard>(s).Query(query)));
                    shardTime.Stop();
                    if (run == 4)
                    {
                        Console.WriteLine($"    shards answered in {shardTime.Elapsed.TotalMilliseconds:F1} ms, {parts.Sum(p => p.Length):N0} bytes");
                    }
                    foreach (var part in parts)
                    {
                        total.Merge(PeriodFacts.FromBytes(part));
                    }
                    report = MetricsCalculator.Compute(total, null, query.Segment, query.Owner);
                    times.Add(watch.Elapsed.TotalMilliseconds);
                }
                times.Sort();
                Console.WriteLine($"query {name,-22}: median {times[2],7:F1} ms, max {times[^1],7:F1} ms  (accounts {report!.Accounts:N0}, MRR start {report.Revenue.MrrStart:N0}, NPS {report.Sentiment.Nps:F1}, MAU {report.Engagement.Mau:N0})");
            }
            Console.WriteLine($"managed heap: {GC.GetTotalMemory(true) / 1024 / 1024:N0} MB; working set {Environment.WorkingSet / 1024 / 1024:N0} MB");
        }
        finally
        {
            await host.StopAsync();
        }
    }

    /// <summary>One account's year, newest first (the order an importer reading a log backwards would send).</summary>
    internal static List<Signal> History(string id, DateTimeOffset yearStart, Random r)
    {
        var list = new List<Signal>(40);
        int n = 0;
        DateTimeOffset At(int day) => yearStart.AddDays(day).AddMinutes(r.Next(1440));
        list.Add(new Signal { Id = $"{id}-{n++}", AccountId = id, Type = SignalType.Revenue, Timestamp = At(r.Next(0, 60)), Mrr = r.Next(1, 100) * 10 });
        if (r.Next(3) == 0)
        {
            list.Add(new Signal { Id = $"{id}-{n++}", AccountId = id, Type = SignalType.Revenue, Timestamp = At(r.Next(60, 365)), Mrr = r.Next(6) == 0 ? 0 : r.Next(1, 100) * 10 });
        }
        for (int k = 0; k < 24; k++)
        {
            list.Add(new Signal { Id = $"{id}-{n++}", AccountId = id, Type = SignalType.Usage, Timestamp = At(r.Next(365)), UserId = "u" + r.Next(3), Feature = r.Next(2) == 0 ? "reports" : "export" });
        }
        for (int k = 0; k < 3; k++)
        {
            list.Add(new Signal { Id = $"{id}-{n++}", AccountId = id, Type = SignalType.Survey, Timestamp = At(r.Next(365)), SurveyKind = SurveyKind.Nps, SurveyScore = r.Next(11), RespondentId = "r" + r.Next(2) });
        }
        var opened = At(r.Next(360));
        list.Add(new Signal { Id = $"{id}-{n++}", AccountId = id, Type = SignalType.Ticket, Timestamp = opened, TicketId = "T1", TicketStatus = TicketStatus.Opened, Tags = ["billing"] });
        list.Add(new Signal { Id = $"{id}-{n++}", AccountId = id, Type = SignalType.Ticket, Timestamp = opened.AddMinutes(r.Next(10, 600)), TicketId = "T1", TicketStatus = TicketStatus.FirstResponse });
        list.Add(new Signal { Id = $"{id}-{n++}", AccountId = id, Type = SignalType.Touchpoint, Timestamp = At(r.Next(365)), TouchpointKind = TouchpointKind.Call, By = "csm" });
        list.Add(new Signal { Id = $"{id}-{n++}", AccountId = id, Type = SignalType.SelfService, Timestamp = At(r.Next(365)), UserId = "u1", ArticleId = "kb-" + r.Next(5), SelfServiceAction = SelfServiceAction.Helpful });
        list.Sort((a, b) => b.Timestamp.CompareTo(a.Timestamp));
        return list;
    }
}
