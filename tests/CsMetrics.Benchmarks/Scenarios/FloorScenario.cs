using CsMetrics.Benchmarks.Floors;
using CsMetrics.Benchmarks.Infrastructure;
using CsMetrics.Grains.Ingest;
using CsMetrics.Scoring.Signals;
using Microsoft.Extensions.DependencyInjection;

namespace CsMetrics.Benchmarks.Scenarios;

/// <summary>
/// The floors under the engine and memory targets: what one grain per account costs this machine
/// before CsMetrics does anything. A fresh silo configured as the engine's (same process, runtime
/// settings and storage), whose accounts are <see cref="IFloorAccountGrain"/>s with no state and no
/// work. First one activation per account of the universe: the managed heap it adds per activation
/// is the runtime's share of <c>bytesPerAccount</c>. Then the engine's batches, shape and
/// concurrency (<see cref="FloorIngest"/>), in interleaved rounds without and with the ingest log's
/// durable append first: the most signals per second the engine could reach here with a grain
/// call per account per batch, whatever its scoring and state cost nothing. A silo of its own,
/// because the engine's checkpoints run on for seconds after its rounds and would be measured here.
/// </summary>
public static class FloorScenario
{
    public static async Task RunAsync(BenchContext context)
    {
        int accounts = context.Workload.Accounts;
        int signalsPerRound = context.Size(120_000, 30_000);
        int rounds = context.Size(4, 3);
        int warmupRounds = context.Size(3, 1);
        using var dir = BenchContext.NewTempDirectory("floor");
        using var host = await InProcessSilo.StartAsync(dir.Path);
        await using var log = new SqliteIngestLog(Path.Combine(dir.Path, "floor-log.db"));
        try
        {
            var grains = host.Services.GetRequiredService<IGrainFactory>();
            var bare = new FloorIngest(grains, log: null);
            var logged = new FloorIngest(grains, log);

            // The first account warms the call path, so its code and pools are in the baseline;
            // the signals for the others exist before it too, so only the activations are measured.
            var onePerAccount = context.Workload.OnePerAccount("activate");
            Signal[] others = onePerAccount[1..];
            await bare.IngestAsync(onePerAccount[..1]);
            long heapBefore = MemoryScenario.FullGcHeap();
            await bare.IngestAsync(others);
            long heapAfter = MemoryScenario.FullGcHeap();
            GC.KeepAlive(others);
            double perActivation = (double)(heapAfter - heapBefore) / others.Length;
            context.Results.Record("floorBytesPerActivation", perActivation,
                $"managed heap after full GC per activation of a grain with no state or fields, one per account ({accounts:N0}), same silo configuration as the engine's");

            var result = await InterleavedRounds.RunAsync(rounds,
                round => bare.IngestAsync(context.Workload.Generate(signalsPerRound, $"f{round}")),
                round => logged.IngestAsync(context.Workload.Generate(signalsPerRound, $"l{round}")),
                "grains", "log + grains", warmupRounds);
            context.Results.Record("floorGrainSignalsPerSec", result.MedianA,
                $"the engine's batches ({EngineScenario.BatchSize} signals, {EngineScenario.Concurrency} in flight, one call per account of a batch) to grains that do nothing; {signalsPerRound:N0} signals/round, median of {rounds} rounds after {warmupRounds} warm-up rounds");
            context.Results.Record("floorLoggedSignalsPerSec", result.MedianB,
                $"the same, each batch appended to a SQLite ingest log first (durable, as the ingestor does); interleaved with the row above: median ratio {result.MedianRatio:F2} (min {result.MinRatio:F2}, max {result.MaxRatio:F2})");
            if (context.Results.ValueOf("inProcessSignalsPerSec") is { } engine)
            {
                // Wall time per signal with both cores busy: 250,000/s leaves 4 µs, of which the
                // logged floor takes its share before anything CsMetrics does.
                double budget = 1e6 / 250_000, floor = 1e6 / result.MedianB, today = 1e6 / engine;
                context.Results.Note("floor", $"the engine's {engine:N0} signals/s (this run) are {engine / result.MedianB:F2} of the logged floor and {engine / result.MedianA:F2} of the bare one. 250,000/s is {budget:F1} µs of wall time per signal on this machine; the logged floor takes {floor:F2} µs of it, leaving {Math.Max(0, budget - floor):F2} µs for scoring, state and checkpoints, which take {today - floor:F2} µs today");
                if (context.Results.ValueOf("dictionaryRatio") is { } ratio && ratio > 0)
                {
                    // The Dictionary loop's rate is the scoring alone on one core; spread perfectly
                    // over both, it still adds this much wall time to every signal.
                    double scoring = 1e6 / (2 * engine / ratio);
                    context.Results.Note("floor", $"the scoring alone (the Dictionary loop, {engine / ratio:N0}/s on one core) spread over both cores adds {scoring:F2} µs: the logged floor plus the scoring allow at most {1e6 / (floor + scoring):N0} signals/s, before any state, explanation, index update or checkpoint");
                }
            }
            if (context.Results.ValueOf("stateBytesPerAccount") is { } state)
            {
                context.Results.Note("floor", $"an account's checkpointed state ({state:N0} B, serialized) plus an empty activation ({perActivation:N0} B) is {state + perActivation:N0} B: already {(state + perActivation) / 4096:F2}× the 4,096 B target before any of it is an object");
            }
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
