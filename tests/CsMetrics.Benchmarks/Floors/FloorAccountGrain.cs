using CsMetrics.Contracts.Signals;

namespace CsMetrics.Benchmarks.Floors;

/// <summary>
/// The account grain's ingest call with nothing behind it: the same key, argument and result
/// types as <c>IAccountGrain.Apply</c>, no state, no scoring. What a grain per account costs the
/// runtime before CsMetrics does anything, measured in the same silo as the engine.
/// </summary>
[Alias("csm.bench.IFloorAccountGrain")]
public interface IFloorAccountGrain : IGrainWithStringKey
{
    [Alias("Apply")]
    Task<ApplyResult> Apply(SignalBatch batch);
}

public sealed class FloorAccountGrain : Grain, IFloorAccountGrain
{
    public Task<ApplyResult> Apply(SignalBatch batch) => Task.FromResult(new ApplyResult(batch.Signals.Length, 0));
}
