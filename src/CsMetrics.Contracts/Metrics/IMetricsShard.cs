using Orleans.Concurrency;

namespace CsMetrics.Contracts.Metrics;

/// <summary>A portfolio metrics query: whole UTC days (DateOnly day numbers, both inclusive) and optional filters.</summary>
[GenerateSerializer, Immutable, Alias("csm.MetricsQuery")]
public sealed record MetricsQuery(int FromDay, int ToDay, string? Segment, string? Owner);

/// <summary>
/// One shard of the portfolio metrics: the day-keyed facts of its accounts (account id hash mod
/// <see cref="MetricsShards.Count"/>), summed per (segment, owner). Accounts send the difference
/// between their current facts and what they sent before, as signals arrive, so a portfolio
/// query reads these sums and never asks an account. Facts travel in the scoring library's own
/// binary form (<c>MetricFacts.Encode</c>) and answers as <c>PeriodFacts</c> JSON, which keeps
/// the scoring library free of Orleans.
/// </summary>
[Alias("csm.IMetricsShard")]
public interface IMetricsShard : IGrainWithIntegerKey
{
    /// <summary>
    /// Adds facts (signed deltas) to the (segment, owner) group. <paramref name="epoch"/> is the
    /// sender's metrics epoch: older than the shard's, the message is dropped (it is relative to
    /// sums a rebuild threw away); newer, the shard first resets itself to it (see docs/metrics.md).
    /// Returns the shard's epoch: a sender behind it republishes its full facts under it.
    /// </summary>
    [Alias("Add")]
    Task<long> Add(string segment, string owner, [Immutable] byte[] facts, long epoch);

    /// <summary>Moves an account's facts between groups (its registry segment or owner changed). Same epoch rule as <see cref="Add"/>.</summary>
    [Alias("Move")]
    Task<long> Move(string fromSegment, string fromOwner, [Immutable] byte[] oldFacts, string toSegment, string toOwner, [Immutable] byte[] newFacts, long epoch);

    /// <summary>
    /// Starts a rebuild of this shard: clears every sum and moves to <paramref name="epoch"/>
    /// (written at once). A reset to an epoch the shard already has, or an older one, does nothing.
    /// </summary>
    [Alias("Reset")]
    Task Reset(long epoch);

    /// <summary>The shard's current metrics epoch (an account's first publish uses it).</summary>
    [Alias("GetEpoch"), AlwaysInterleave]
    Task<long> GetEpoch();

    /// <summary>This shard's facts summed over the query's period and filters (PeriodFacts JSON).</summary>
    [Alias("Query"), AlwaysInterleave]
    Task<byte[]> Query(MetricsQuery query);

    [Alias("Checkpoint")]
    Task Checkpoint();
}

/// <summary>The state of the portfolio metrics rebuild (docs/metrics.md, "Consistency and rebuild").</summary>
[GenerateSerializer, Immutable, Alias("csm.MetricsRebuildStatus")]
public sealed record MetricsRebuildStatus(long Epoch, bool Rebuilding, int Done, int Total, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt);

/// <summary>
/// Holds the current portfolio metrics epoch (key 0): a rebuild begins by taking the next one,
/// reports progress, and finishes. Persisted, so epochs only ever grow.
/// </summary>
[Alias("csm.IMetricsEpochGrain")]
public interface IMetricsEpochGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Moves to a new epoch, above both the last one and <paramref name="atLeast"/> (the highest
    /// epoch a shard has seen), marks a rebuild as running and returns the epoch.
    /// </summary>
    [Alias("Begin")]
    Task<long> Begin(long atLeast);

    [Alias("Progress")]
    Task Progress(long epoch, int done, int total);

    [Alias("Finish")]
    Task Finish(long epoch, int done);

    [Alias("Status"), AlwaysInterleave]
    Task<MetricsRebuildStatus> Status();
}

public static class MetricsShards
{
    /// <summary>Fixed, so that an account always reports to the same shard.</summary>
    public const int Count = 16;

    /// <summary>Same stable hash as the account index (process-independent).</summary>
    public static int ShardOf(string accountId) => Index.AccountIndex.ShardOf(accountId) % Count;
}
