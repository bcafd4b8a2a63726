namespace CsMetrics.Contracts.Integrations;

/// <summary>
/// Which account a Segment user belongs to (key = Segment userId), learned from <c>group</c>
/// and <c>identify</c> calls so that later <c>track</c> calls without a groupId can be
/// attributed. One small persisted record per user: bounded by the number of users.
/// </summary>
[Alias("csm.ISegmentIdentityGrain")]
public interface ISegmentIdentityGrain : IGrainWithStringKey
{
    /// <summary>The user's account, or null when no group/identify call has linked one.</summary>
    [Alias("GetAccount"), Orleans.Concurrency.ReadOnly]
    Task<string?> GetAccount();

    /// <summary>Links the user to an account (the latest link wins). Persisted before it returns.</summary>
    [Alias("Link")]
    Task Link(string accountId);
}
