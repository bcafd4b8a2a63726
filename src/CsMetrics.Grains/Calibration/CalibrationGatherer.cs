using System.Diagnostics;
using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Calibration;
using CsMetrics.Contracts.Index;
using CsMetrics.Scoring.Aggregates;
using CsMetrics.Scoring.Calibration;

namespace CsMetrics.Grains.Calibration;

/// <summary>A calibration report: the window, the summary, the churned accounts (first <see cref="CalibrationGatherer.MaxChurnedListed"/>) and what it cost.</summary>
public sealed record CalibrationReport(
    CalibrationWindow Window,
    CalibrationSummary Summary,
    ChurnedAccount[] ChurnedAccounts,
    int AccountsIndexed,
    int AccountsAsked,
    bool Sampled,
    TimeSpan Elapsed);

/// <summary>
/// Gathers a calibration report without asking every account: churned accounts come from the
/// calibration shards (each account reported its churns as they happened); retained accounts are
/// a stable sample of at most <c>sampleSize</c> ids from the index shards, each asked what it
/// showed at the prediction time. With no more accounts than the sample size, every account is
/// asked and the figures are exact; above it, retained counts are scaled (docs/calibration.md).
/// </summary>
public sealed class CalibrationGatherer(IGrainFactory grains, TimeProvider time, Microsoft.Extensions.Options.IOptions<CalibrationOptions> options)
{
    public const int DefaultSampleSize = 5000;
    public const int MaxChurnedListed = 1000;
    private const int Parallelism = 64;

    public async Task<CalibrationReport> GatherAsync(int horizonDays, int? sampleSize = null)
    {
        int sampleMax = Math.Max(1, sampleSize ?? options.Value.SampleSize);
        var watch = Stopwatch.StartNew();
        var now = time.GetUtcNow();
        var from = now.AddDays(-horizonDays);
        var window = new CalibrationWindow(from, now, DayNumber.Of(from) - 1, CalibrationTally.DefaultLeads);
        var shards = Enumerable.Range(0, AccountIndex.ShardCount).ToArray();

        var churnedTask = Task.WhenAll(shards.Select(s => grains.GetGrain<ICalibrationShard>(s).Churned(window)));
        int indexed = (await Task.WhenAll(shards.Select(s => grains.GetGrain<IAccountIndexShard>(s).Count()))).Sum();
        // Shards are not equally full: a portfolio within the sample size is asked whole, not per-shard capped.
        int perShard = indexed <= sampleMax ? int.MaxValue : (sampleMax + AccountIndex.ShardCount - 1) / AccountIndex.ShardCount;
        var sample = (await Task.WhenAll(shards.Select(s => grains.GetGrain<IAccountIndexShard>(s).Sample(perShard)))).SelectMany(s => s).ToArray();
        var churned = (await churnedTask).SelectMany(c => c).OrderBy(c => c.ChurnedAt).ThenBy(c => c.AccountId, StringComparer.Ordinal).ToArray();

        var churnedIds = churned.Select(c => c.AccountId).ToHashSet(StringComparer.Ordinal);
        var points = new List<CalibrationPoint>(sample.Length);
        await Bounded.ForEachAsync(sample.Where(id => !churnedIds.Contains(id)), Parallelism, async id =>
        {
            var point = await grains.GetGrain<IAccountGrain>(id).GetCalibrationPoint(window);
            lock (points)
            {
                points.Add(point);
            }
        });

        // Each asked non-churned account stands for (indexed − churned) / asked of them.
        bool sampled = sample.Length < indexed;
        int asked = points.Count;
        double weight = sampled && asked > 0 ? Math.Max(1.0, (indexed - churned.Length) / (double)asked) : 1.0;

        var tally = new CalibrationTally(window.Leads);
        foreach (var c in churned)
        {
            tally.AddChurned(c.BandsBefore, c.BandAtPrediction, Pairs(c.ComponentsAtPrediction));
        }
        // Retained: paying when the window opened and not churned in it (an account that churned
        // but whose report has not reached its shard yet counts as neither).
        foreach (var p in points.Where(p => p.Paying && !p.ChurnedInWindow).OrderBy(p => p.AccountId, StringComparer.Ordinal))
        {
            tally.AddRetained(p.Band, Pairs(p.Components), weight);
        }
        return new CalibrationReport(window, tally.Summarize(), churned.Take(MaxChurnedListed).ToArray(), indexed, asked, sampled, watch.Elapsed);
    }

    private static IEnumerable<KeyValuePair<string, double>> Pairs(ComponentValue[] values) =>
        values.Select(v => KeyValuePair.Create(v.Name, v.Score));
}
