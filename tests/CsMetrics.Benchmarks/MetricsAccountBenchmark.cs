using System.Diagnostics;
using CsMetrics.Scoring.Aggregates;
using CsMetrics.Scoring.Metrics;
using CsMetrics.Scoring.Signals;

namespace CsMetrics.Benchmarks;

/// <summary>
/// What publishing costs one big account per batch: five years of daily usage by N users on two
/// features, weekly NPS and tickets, monthly MRR changes; then the time of one fact build (an
/// applied batch costs two: before and after, plus the diff).
/// </summary>
public static class MetricsAccountBenchmark
{
    public static void Run(int users)
    {
        var start = new DateTimeOffset(DateTimeOffset.UtcNow.Year - 5, 1, 1, 12, 0, 0, TimeSpan.Zero);
        var a = new AccountAggregates();
        int n = 0;
        var arrival = DateTimeOffset.UtcNow;
        for (int day = 0; day < 5 * 365; day++)
        {
            var at = start.AddDays(day);
            for (int u = 0; u < users; u++)
            {
                a.Apply(new Signal { Id = $"s{n++}", AccountId = "big", Type = SignalType.Usage, Timestamp = at, UserId = $"u{u}", Feature = u % 2 == 0 ? "reports" : "export" }, arrival);
            }
            if (day % 7 == 0)
            {
                a.Apply(new Signal { Id = $"s{n++}", AccountId = "big", Type = SignalType.Survey, Timestamp = at, SurveyKind = SurveyKind.Nps, SurveyScore = day % 11, RespondentId = $"u{day % users}" }, arrival);
                a.Apply(new Signal { Id = $"s{n++}", AccountId = "big", Type = SignalType.Ticket, Timestamp = at, TicketId = $"T{day}", TicketStatus = TicketStatus.Opened, Tags = ["billing"] }, arrival);
            }
            if (day % 30 == 0)
            {
                a.Apply(new Signal { Id = $"s{n++}", AccountId = "big", Type = SignalType.Revenue, Timestamp = at, Mrr = 1000 + day }, arrival);
            }
        }
        var times = new List<double>();
        int facts = 0;
        for (int run = 0; run < 9; run++)
        {
            var watch = Stopwatch.StartNew();
            facts = MetricFacts.Build(a, 50, null).Count;
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        Console.WriteLine($"{n:N0} signals over five years, {users} daily users: {facts:N0} facts, {a.ToBytes().Length / 1024:N0} KB persisted; one fact build: median {times[4]:F1} ms");
    }
}
