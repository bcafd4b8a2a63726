namespace CsMetrics.Contracts.Scorecards;

[GenerateSerializer, Immutable, Alias("csm.ScorecardVersion")]
public sealed record ScorecardDocument(int Version, string Json, DateTimeOffset ActivatedAt);

[GenerateSerializer, Immutable, Alias("csm.RescoreProgress")]
public sealed record RescoreProgress(int Version, int Done, int Total, bool Finished);

/// <summary>The active scorecard and its version, for the whole cluster (one grain, key 0).</summary>
[Alias("csm.IScorecardGrain")]
public interface IScorecardGrain : IGrainWithIntegerKey
{
    [Alias("GetActive"), Orleans.Concurrency.AlwaysInterleave]
    Task<ScorecardDocument?> GetActive();

    /// <summary>Stores the document as the first version if none is stored yet; returns the active one.</summary>
    [Alias("Initialize")]
    Task<ScorecardDocument> Initialize(string json);

    /// <summary>Activates an (already validated) document as the next version.</summary>
    [Alias("Activate")]
    Task<ScorecardDocument> Activate(string json);

    [Alias("ReportProgress")]
    Task ReportProgress(RescoreProgress progress);

    [Alias("GetProgress"), Orleans.Concurrency.AlwaysInterleave]
    Task<RescoreProgress?> GetProgress();
}
