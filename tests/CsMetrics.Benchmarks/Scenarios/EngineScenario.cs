using System.Diagnostics;
using CsMetrics.Benchmarks.Infrastructure;
using CsMetrics.Grains.Ingest;
using CsMetrics.Scoring.Aggregates;
using CsMetrics.Scoring.Health;
using CsMetrics.Scoring.Scorecards;
using CsMetrics.Scoring.Signals;
using Microsoft.Extensions.DependencyInjection;

namespace CsMetrics.Benchmarks.Scenarios;

/// <summary>
/// (3) The engine without HTTP: batches of 500 through <see cref="SignalIngestor"/> (durable log,
/// per-account grain calls, rescoring, index updates), against one thread running the same
/// scoring code over a Dictionary — the machine's limit for this work, so the ratio is the
/// engine's own overhead (durability, messaging, concurrency).
/// </summary>
public static class EngineScenario
{
    public const int BatchSize = 500;
    public const int Concurrency = 16;

    public static async Task RunAsync(BenchContext context)
    {
        int signalsPerRound = context.Size(60_000, 15_000);
        int rounds = context.Size(4, 3);
        int warmupRounds = context.Size(6, 2);
        using var dir = BenchContext.NewTempDirectory("engine");
        using var host = await InProcessSilo.StartAsync(dir.Path);
        try
        {
            var ingestor = host.Services.GetRequiredService<SignalIngestor>();
            var card = ScorecardParser.Parse(File.ReadAllText(InProcessSilo.DefaultScorecardPath));
            var loop = new DictionaryLoop(card);
            await IngestAsync(ingestor, context.Workload.OnePerAccount("warm"));
            loop.Run(context.Workload.OnePerAccount("warm"));

            // Bytes allocated per signal by the whole process during each counted engine round
            // (ingest, grains, checkpoints, everything): it depends far less on what else the
            // machine is doing than the rate does (only the checkpoints' share grows with a
            // round's duration), so it shows allocation work from run to run.
            var allocated = new List<double>();
            var result = await InterleavedRounds.RunAsync(rounds,
                async round =>
                {
                    var signals = context.Workload.Generate(signalsPerRound, $"e{round}");
                    long before = GC.GetTotalAllocatedBytes(precise: true);
                    double rate = await IngestAsync(ingestor, signals);
                    if (round >= 0)
                    {
                        allocated.Add((double)(GC.GetTotalAllocatedBytes(precise: true) - before) / signals.Length);
                    }
                    return rate;
                },
                round => Task.FromResult(loop.Run(context.Workload.Generate(signalsPerRound, $"e{round}"))),
                "engine", "dictionary", warmupRounds);
            context.Results.Record("inProcessSignalsPerSec", result.MedianA,
                $"silo in the benchmark process, SQLite log + state, {signalsPerRound:N0} signals/round, batches of {BatchSize}, {Concurrency} in flight, median of {rounds} rounds after {warmupRounds} warm-up rounds");
            context.Results.Record("dictionaryRatio", result.MedianRatio,
                $"engine/single-thread Dictionary loop median (min {result.MinRatio:F2}, max {result.MaxRatio:F2}); loop {result.MedianB:N0} signals/s");
            context.Results.Note("engine", $"the process allocated {InterleavedRounds.Median(allocated):N0} bytes per signal during the engine rounds (median of {allocated.Count}; min {allocated.Min():N0}, max {allocated.Max():N0}): what the GC threads collect (checkpoints included, so a slower round counts more of them)");
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static int s_refusedBatches;

    /// <summary>Batches refused for memory and sent again, since the process started.</summary>
    public static int RefusedBatches => Volatile.Read(ref s_refusedBatches);

    public static async Task<double> IngestAsync(SignalIngestor ingestor, Signal[] signals)
    {
        var batches = signals.Chunk(BatchSize).ToArray();
        int next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < batches.Length)
            {
                while (true)
                {
                    try
                    {
                        await ingestor.IngestAsync(batches[i]);
                        break;
                    }
                    catch (IngestRefusedException refused)
                    {
                        // A node short of memory (only under a heap limit, e.g. the shedding
                        // benchmark): as a client would, send the batch again after Retry-After.
                        Interlocked.Increment(ref s_refusedBatches);
                        await Task.Delay(refused.RetryAfter);
                    }
                }
            }
        }));
        return signals.Length / watch.Elapsed.TotalSeconds;
    }

    /// <summary>The scoring code on one thread: apply each signal to its account's aggregates, then rescore the account, as the grain does.</summary>
    private sealed class DictionaryLoop(Scorecard card)
    {
        private readonly Dictionary<string, AccountAggregates> _accounts = new(StringComparer.Ordinal);
        private readonly ComponentScore[] _scratch = new ComponentScore[card.Components.Count];

        public double Run(Signal[] signals)
        {
            var watch = Stopwatch.StartNew();
            double checksum = 0;
            foreach (var signal in signals)
            {
                var now = DateTimeOffset.UtcNow;
                if (!_accounts.TryGetValue(signal.AccountId, out var aggregates))
                {
                    _accounts[signal.AccountId] = aggregates = new AccountAggregates();
                }
                if (aggregates.Apply(signal, now))
                {
                    checksum += HealthScorer.Evaluate(card, aggregates, 0, now, _scratch).Score;
                }
            }
            GC.KeepAlive(checksum);
            return signals.Length / watch.Elapsed.TotalSeconds;
        }
    }
}
