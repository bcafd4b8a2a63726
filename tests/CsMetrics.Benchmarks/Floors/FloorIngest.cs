using System.Diagnostics;
using CsMetrics.Benchmarks.Scenarios;
using CsMetrics.Contracts.Signals;
using CsMetrics.Grains.Ingest;
using CsMetrics.Scoring.Signals;

namespace CsMetrics.Benchmarks.Floors;

/// <summary>
/// The engine's batches as <see cref="SignalIngestor"/> sends them (<see cref="EngineScenario.BatchSize"/>
/// signals, <see cref="EngineScenario.Concurrency"/> in flight, one call per account of a batch
/// with that account's signals; the index listings it also sends are left out), to
/// <see cref="IFloorAccountGrain"/>s that do nothing. With a log,
/// each batch is first appended to it as the ingestor does (encoded, durable). The rate is what
/// the runtime (and the log) leave for a grain per account on this machine: the engine's ceiling
/// for this design, whatever the scoring and state cost.
/// </summary>
public sealed class FloorIngest(IGrainFactory grains, IIngestLog? log)
{
    public async Task<double> IngestAsync(Signal[] signals)
    {
        var batches = signals.Chunk(EngineScenario.BatchSize).ToArray();
        int next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, EngineScenario.Concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < batches.Length)
            {
                await ApplyAsync(batches[i]);
            }
        }));
        return signals.Length / watch.Elapsed.TotalSeconds;
    }

    private async Task ApplyAsync(Signal[] signals)
    {
        if (log is not null)
        {
            await log.AppendAsync(SignalCodec.Encode(signals));
        }
        var groups = new Dictionary<string, List<Signal>>(StringComparer.Ordinal);
        foreach (var s in signals)
        {
            if (!groups.TryGetValue(s.AccountId, out var list))
            {
                groups[s.AccountId] = list = [];
            }
            list.Add(s);
        }
        var calls = new Task<ApplyResult>[groups.Count];
        int i = 0;
        foreach (var (account, list) in groups)
        {
            calls[i++] = grains.GetGrain<IFloorAccountGrain>(account).Apply(new SignalBatch([.. list]));
        }
        await Task.WhenAll(calls);
    }
}
