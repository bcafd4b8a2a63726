using Orleans.Concurrency;

namespace CsMetrics.Contracts.Index;

/// <summary>What the cross-account index knows of one account: enough to list, filter and sort.</summary>
/// <remarks>
/// <see cref="Revision"/> rises with every report of an account (it is at least the report's
/// clock ticks, so it keeps rising across restarts); shards and watchlists ignore a report older
/// than the one they hold, which makes the one-way fan-out safe against reordering.
/// <see cref="LatestDetractorAt"/> and <see cref="UrgentUnansweredSince"/> are for playbook
/// triggers only (AccountAggregates' alert facts).
/// </remarks>
[GenerateSerializer, Immutable, Alias("csm.IndexEntry")]
public sealed record IndexEntry(
    string AccountId,
    string? Name,
    string? Owner,
    string? Segment,
    double? Score,
    string? Band,
    DateOnly? RenewalDate,
    DateTimeOffset? UpdatedAt,
    double? Delta7d,
    double? Delta30d,
    string? Reason,
    double[] Trend,
    DateTimeOffset? LastUsageAt,
    long Revision,
    bool Overridden = false,
    DateTimeOffset? LatestDetractorAt = null,
    DateTimeOffset? UrgentUnansweredSince = null)
{
    /// <summary>Whether a time-based playbook trigger may start or end on this entry with time alone.</summary>
    public bool HasTimedFacts => LatestDetractorAt is not null || UrgentUnansweredSince is not null;
}

/// <summary>One listing change as the playbook evaluator sees it: the entry before (none for a new account) and after.</summary>
[GenerateSerializer, Immutable, Alias("csm.IndexChange")]
public sealed record IndexChange(IndexEntry? Old, IndexEntry Entry);

[GenerateSerializer, Immutable, Alias("csm.IndexQuery")]
public sealed record IndexQuery(string? Owner, string? Segment, string? Band, int Take);

[GenerateSerializer, Immutable, Alias("csm.IndexPage")]
public sealed record IndexPage(IndexEntry[] Entries, int Total);

/// <summary>
/// One shard of the account index. Grains cannot be enumerated, so every account grain reports
/// its listing entry to shard <c>hash(accountId) mod N</c>; a query asks every shard for its
/// first <c>offset + limit</c> matches in score order and merges them. N is fixed
/// (<see cref="AccountIndex.ShardCount"/>) so that an account always maps to the same shard.
/// </summary>
[Alias("csm.IAccountIndexShard")]
public interface IAccountIndexShard : IGrainWithIntegerKey
{
    /// <summary>One-way: the account grain does not wait for the index (or the watchlists behind it).</summary>
    [Alias("Upsert"), OneWay]
    Task Upsert(IndexEntry entry);

    /// <summary>Several accounts' entries at once (the ingestor's batch); the watchlists and the playbook evaluator get them batched too.</summary>
    [Alias("UpsertMany"), OneWay]
    Task UpsertMany([Immutable] IndexEntry[] entries);

    /// <summary>Every entry matching a watchlist's filter, to fill a new or edited watchlist.</summary>
    [Alias("Match"), AlwaysInterleave]
    Task<IndexEntry[]> Match(Watchlists.WatchlistDefinition watchlist);

    /// <summary>The watchlists whose membership this shard maintains as entries change.</summary>
    [Alias("SetWatchlists")]
    Task SetWatchlists(Watchlists.WatchlistDefinition[] watchlists);

    [Alias("Query"), AlwaysInterleave]
    Task<IndexPage> Query(IndexQuery query);

    [Alias("Checkpoint")]
    Task Checkpoint();

    /// <summary>
    /// Wakes at most <paramref name="max"/> accounts whose last evaluation is older than
    /// <paramref name="interval"/> (silence lowers scores only if someone looks), and re-checks
    /// date-dependent watchlists when the day changed. Call again while it reports more due.
    /// </summary>
    /// <remarks>Accounts woken since <paramref name="roundStart"/> are never due again in the same round,
    /// so a round ends however short the interval.</remarks>
    [Alias("Sweep")]
    Task<SweepResult> Sweep(TimeSpan interval, int max, DateTimeOffset? roundStart = null);

    /// <summary>Re-scores up to <paramref name="max"/> accounts not yet scored with <paramref name="version"/>.</summary>
    [Alias("Rescore")]
    Task<SweepResult> Rescore(int version, int max);

    /// <summary>Every account's score under a proposed scorecard, nothing changed.</summary>
    [Alias("Preview")]
    Task<Accounts.ScorePreview[]> Preview(string proposedScorecardJson);

    [Alias("Count"), AlwaysInterleave]
    Task<int> Count();

    /// <summary>The ids of every account listed in this shard (a metrics rebuild walks them).</summary>
    [Alias("AccountIds"), AlwaysInterleave]
    Task<string[]> AccountIds();

    /// <summary>The entries with a detractor answer or an unanswered urgent ticket, for time-based playbook triggers.</summary>
    [Alias("TimedEntries"), AlwaysInterleave]
    Task<IndexEntry[]> TimedEntries();

    /// <summary>
    /// Up to <paramref name="max"/> account ids, the same ones every time for the same accounts
    /// (lowest by a hash of the id), so a sample is unbiased by name and stable between requests.
    /// </summary>
    [Alias("Sample"), AlwaysInterleave]
    Task<string[]> Sample(int max);
}

[GenerateSerializer, Immutable, Alias("csm.SweepResult")]
public readonly record struct SweepResult(int Touched, int Remaining);

public static class AccountIndex
{
    public const int ShardCount = 16;

    /// <summary>A stable (process-independent) shard for an account id.</summary>
    public static int ShardOf(string accountId)
    {
        uint h = 2166136261;
        foreach (char c in accountId)
        {
            h = (h ^ c) * 16777619;
        }
        return (int)(h % ShardCount);
    }
}
