using CsMetrics.Benchmarks.Infrastructure;

namespace CsMetrics.Benchmarks.Scenarios;

/// <summary>
/// (1) Durable HTTP ingest in batches of 500 against the ceiling: the same server, the same
/// payloads, on the benchmark-only endpoint that parses and discards. Interleaved rounds.
/// </summary>
public static class IngestScenario
{
    public const int BatchSize = 500;
    public const int Concurrency = 16;

    public static async Task RunAsync(BenchContext context)
    {
        int signalsPerRound = context.Size(60_000, 15_000);
        int rounds = context.Size(4, 3);
        int warmupRounds = context.Size(4, 1);
        using var dir = BenchContext.NewTempDirectory("ingest");
        var (server, _) = await BenchServer.StartAsync(dir.Path, new Dictionary<string, string> { ["CsMetrics__Benchmark__CeilingEndpoint"] = "true" });
        await using (server)
        {
            using var client = server.Client();
            // Warm-up: JIT, connections, and every account resident (steady state, as in production).
            await WarmUpAsync(context, client);
            await HttpIngestLoad.SendAsync(client, HttpIngestLoad.CeilingPath, Batches(context, "warm", 10_000), 10_000, Concurrency);

            var result = await InterleavedRounds.RunAsync(rounds,
                round => HttpIngestLoad.SendAsync(client, HttpIngestLoad.IngestPath, Batches(context, $"d{round}", signalsPerRound), signalsPerRound, Concurrency),
                round => HttpIngestLoad.SendAsync(client, HttpIngestLoad.CeilingPath, Batches(context, $"c{round}", signalsPerRound), signalsPerRound, Concurrency),
                "durable", "ceiling", warmupRounds);
            context.Results.Record("ingestHttpSignalsPerSec", result.MedianA,
                $"server as a process, {signalsPerRound:N0} signals/round in batches of {BatchSize}, {Concurrency} in flight, median of {rounds} rounds after {warmupRounds} warm-up rounds");
            context.Results.Record("ingestCeilingRatio", result.MedianRatio,
                $"durable/ceiling median (min {result.MinRatio:F2}, max {result.MaxRatio:F2}); ceiling {result.MedianB:N0} signals/s");
            if (context.Results.ValueOf("floorLoggedSignalsPerSec") is { } floor)
            {
                // Both cores do both jobs, so their times per signal add: an estimate of the best
                // the durable path could do if the engine behind the parsing cost nothing more than
                // the floor (grains that do nothing, the log's append).
                double bound = 1 / (1 / result.MedianB + 1 / floor);
                context.Results.Note("ingest", $"parsing at the ceiling's rate ({result.MedianB:N0}/s) plus the logged floor ({floor:N0}/s, this run) add up to at most ~{bound:N0} signals/s over HTTP with grains that do nothing: {bound / result.MedianB:F2} of the ceiling (an estimate from the two medians, not a measurement)");
            }
        }
    }

    public static Task WarmUpAsync(BenchContext context, HttpClient client)
    {
        var signals = context.Workload.OnePerAccount("warm");
        return HttpIngestLoad.SendAsync(client, HttpIngestLoad.IngestPath, SignalWorkload.ToJsonBatches(signals, BatchSize), signals.Length, Concurrency);
    }

    /// <summary>The round's batches, built before the clock starts so the generator costs the server nothing.</summary>
    private static byte[][] Batches(BenchContext context, string prefix, int signals) =>
        SignalWorkload.ToJsonBatches(context.Workload.Generate(signals, prefix), BatchSize);
}
