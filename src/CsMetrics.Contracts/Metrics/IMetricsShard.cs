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
    /// <summary>Adds facts (signed deltas) to the (segment, owner) group.</summary>
    [Alias("Add")]
    Task Add(string segment, string owner, byte[] facts);

    /// <summary>Moves an account's facts between groups (its registry segment or owner changed).</summary>
    [Alias("Move")]
    Task Move(string fromSegment, string fromOwner, byte[] oldFacts, string toSegment, string toOwner, byte[] newFacts);

    /// <summary>This shard's facts summed over the query's period and filters (PeriodFacts JSON).</summary>
    [Alias("Query"), AlwaysInterleave]
    Task<byte[]> Query(MetricsQuery query);

    [Alias("Checkpoint")]
    Task Checkpoint();
}

public static class MetricsShards
{
    /// <summary>Fixed, so that an account always reports to the same shard.</summary>
    public const int Count = 16;

    /// <summary>Same stable hash as the account index (process-independent).</summary>
    public static int ShardOf(string accountId) => Index.AccountIndex.ShardOf(accountId) % Count;
}
