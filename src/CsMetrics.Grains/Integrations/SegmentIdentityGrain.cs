using CsMetrics.Contracts.Integrations;
using CsMetrics.Grains.Accounts;

namespace CsMetrics.Grains.Integrations;

[GenerateSerializer, Alias("csm.SegmentIdentityState")]
public sealed class SegmentIdentityState
{
    [Id(0)] public string? AccountId { get; set; }
    [Id(1)] public DateTimeOffset LinkedAt { get; set; }
}

/// <summary>One Segment user's account link (see <see cref="ISegmentIdentityGrain"/>).</summary>
public sealed class SegmentIdentityGrain(
    [PersistentState("segment-user", StorageNames.Index)] IPersistentState<SegmentIdentityState> state,
    TimeProvider time) : Grain, ISegmentIdentityGrain
{
    public Task<string?> GetAccount() => Task.FromResult(state.State.AccountId);

    public async Task Link(string accountId)
    {
        if (state.State.AccountId == accountId)
        {
            return;
        }
        state.State.AccountId = accountId;
        state.State.LinkedAt = time.GetUtcNow();
        await state.WriteStateAsync();
    }
}
