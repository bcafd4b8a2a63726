using CsMetrics.Contracts.Scorecards;
using CsMetrics.Grains.Accounts;

namespace CsMetrics.Grains.Scorecards;

[GenerateSerializer, Alias("csm.ScorecardGrainState")]
public sealed class ScorecardGrainState
{
    [Id(0)] public ScorecardDocument? Active { get; set; }
    [Id(1)] public RescoreProgress? Progress { get; set; }
}

/// <summary>
/// The cluster's record of the active scorecard. Versions only go up; every silo's
/// <see cref="ScorecardRegistry"/> follows it.
/// </summary>
public sealed class ScorecardGrain(
    [PersistentState("scorecard", StorageNames.Index)] IPersistentState<ScorecardGrainState> state,
    TimeProvider time) : Grain, IScorecardGrain
{
    public Task<ScorecardDocument?> GetActive() => Task.FromResult(state.State.Active);

    public async Task<ScorecardDocument> Initialize(string json)
    {
        if (state.State.Active is { } active)
        {
            return active;
        }
        state.State.Active = new ScorecardDocument(1, json, time.GetUtcNow());
        await state.WriteStateAsync();
        return state.State.Active;
    }

    public async Task<ScorecardDocument> Activate(string json)
    {
        int next = (state.State.Active?.Version ?? 0) + 1;
        state.State.Active = new ScorecardDocument(next, json, time.GetUtcNow());
        state.State.Progress = new RescoreProgress(next, 0, 0, Finished: false);
        await state.WriteStateAsync();
        return state.State.Active;
    }

    public async Task ReportProgress(RescoreProgress progress)
    {
        if (progress.Version < (state.State.Progress?.Version ?? 0))
        {
            return; // a slower report of an older rescore
        }
        state.State.Progress = progress;
        if (progress.Finished)
        {
            await state.WriteStateAsync();
        }
    }

    public Task<RescoreProgress?> GetProgress() => Task.FromResult(state.State.Progress);
}
