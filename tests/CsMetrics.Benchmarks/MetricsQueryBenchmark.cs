using System.Diagnostics;
using CsMetrics.Contracts.Metrics;
using CsMetrics.Scoring.Aggregates;
using CsMetrics.Scoring.Metrics;

namespace CsMetrics.Benchmarks;

/// <summary>
/// The portfolio query's own cost at a scale the shared box cannot hold as live grains: N
/// accounts' year of history (<see cref="MetricsBenchmark.History"/>) turned into facts and added
/// into 16 shard tables exactly as the metrics shards keep them (overall and per segment), then
/// the query work of every shard done one after another on one thread (the silo spreads it over
/// the cores) plus the merge and the formulas.
/// </summary>
public static class MetricsQueryBenchmark
{
    public static void Run(int accounts)
    {
        var yearStart = new DateTimeOffset(DateTimeOffset.UtcNow.Year - 1, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var all = Enumerable.Range(0, MetricsShards.Count).Select(_ => new FactTable()).ToArray();
        var bySegment = Enumerable.Range(0, MetricsShards.Count).Select(_ => new Dictionary<string, FactTable>()).ToArray();
        var r = new Random(1);
        var build = Stopwatch.StartNew();
        long facts = 0;
        for (int i = 0; i < accounts; i++)
        {
            string id = $"acc-{i:000000}";
            var aggregates = new AccountAggregates();
            foreach (var s in MetricsBenchmark.History(id, yearStart, r))
            {
                aggregates.Apply(s, yearStart.AddYears(1));
            }
            var accountFacts = MetricFacts.Build(aggregates, 10, null);
            facts += accountFacts.Count;
            int shard = MetricsShards.ShardOf(id);
            all[shard].Add(accountFacts, +1);
            string segment = $"seg-{i % 5}";
            if (!bySegment[shard].TryGetValue(segment, out var table))
            {
                bySegment[shard][segment] = table = new FactTable();
            }
            table.Add(accountFacts, +1);
        }
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        Console.WriteLine($"{accounts:N0} accounts, {facts:N0} facts ({facts / (double)accounts:F0} per account) built in {build.Elapsed.TotalSeconds:F1} s");

        int from = DateOnly.FromDateTime(yearStart.UtcDateTime).DayNumber;
        foreach (var (name, f, t) in new[] { ("year", from, from + 364), ("one month", from + 120, from + 150), ("one week", from + 300, from + 306) })
        {
            var times = new List<double>();
            MetricsReport? report = null;
            for (int run = 0; run < 7; run++)
            {
                var watch = Stopwatch.StartNew();
                var total = PeriodFacts.Empty(f, t);
                for (int shard = 0; shard < MetricsShards.Count; shard++)
                {
                    var part = PeriodFacts.Empty(f, t);
                    part.Add(all[shard], segment: null);
                    foreach (var (segment, table) in bySegment[shard])
                    {
                        part.AddSegmentSentiment(table, segment);
                    }
                    total.Merge(PeriodFacts.FromBytes(part.ToBytes()));
                }
                report = MetricsCalculator.Compute(total, null, null, null);
                times.Add(watch.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            Console.WriteLine($"portfolio query, {name,-9}: median {times[3],7:F1} ms, max {times[^1],7:F1} ms, single thread (accounts {report!.Accounts:N0}, MRR end {report.Revenue.MrrEnd:N0}, NPS {report.Sentiment.Nps:F1}, MAU {report.Engagement.Mau:N0})");
        }
        Console.WriteLine($"managed heap (the 16 shards' tables): {GC.GetTotalMemory(true) / 1024 / 1024:N0} MB; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        GC.KeepAlive(all);
        GC.KeepAlive(bySegment);
    }
}
