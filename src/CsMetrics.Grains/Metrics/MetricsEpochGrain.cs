using CsMetrics.Contracts.Metrics;
using CsMetrics.Grains.Accounts;

namespace CsMetrics.Grains.Metrics;

[GenerateSerializer, Alias("csm.MetricsEpochState")]
public sealed class MetricsEpochState
{
    [Id(0)] public MetricsRebuildStatus? Status { get; set; }
}

/// <summary>
/// The current portfolio metrics epoch and how far its rebuild got. Begin and Finish are
/// written; progress in between is kept in memory (a lost count only makes the flag coarser).
/// </summary>
public sealed class MetricsEpochGrain(
    [PersistentState("metrics-epoch", StorageNames.Index)] IPersistentState<MetricsEpochState> state,
    TimeProvider time)
    : Grain, IMetricsEpochGrain
{
    private MetricsRebuildStatus Current => state.State.Status ?? new MetricsRebuildStatus(0, false, 0, 0, null, null);

    public async Task<long> Begin(long atLeast)
    {
        long epoch = Math.Max(Current.Epoch, atLeast) + 1;
        state.State.Status = new MetricsRebuildStatus(epoch, true, 0, 0, time.GetUtcNow(), null);
        await state.WriteStateAsync();
        return epoch;
    }

    public Task Progress(long epoch, int done, int total)
    {
        if (epoch == Current.Epoch && Current.Rebuilding)
        {
            state.State.Status = Current with { Done = done, Total = total };
        }
        return Task.CompletedTask;
    }

    public async Task Finish(long epoch, int done)
    {
        if (epoch != Current.Epoch)
        {
            return; // a newer rebuild began meanwhile: it is the one that counts
        }
        state.State.Status = Current with { Rebuilding = false, Done = done, Total = Math.Max(done, Current.Total), FinishedAt = time.GetUtcNow() };
        await state.WriteStateAsync();
    }

    public Task<MetricsRebuildStatus> Status() => Task.FromResult(Current);
}
