using Orleans.Concurrency;

namespace CsMetrics.Contracts.Playbooks;

/// <summary>
/// A playbook firing as the dashboard's live alert feed shows it (docs/playbooks.md#alert-feed).
/// <see cref="Id"/> is the delivery id of the firing, so a client can drop one it already has.
/// </summary>
[GenerateSerializer, Immutable, Alias("csm.FiredAlert")]
public sealed record FiredAlert(
    string Id,
    string PlaybookId,
    string PlaybookName,
    string AccountId,
    string? AccountName,
    string? Owner,
    string Trigger,
    string Summary,
    double? Score,
    string? Band,
    string? Reason,
    DateTimeOffset FiredAt)
{
    public static FiredAlert From(string deliveryId, PlaybookFiring f) => new(
        deliveryId, f.PlaybookId, f.PlaybookName, f.AccountId, f.AccountName, f.Owner,
        f.Trigger.Type, PlaybookRules.Describe(f.Trigger), f.Score, f.Band, f.Reason, f.FiredAt);
}

/// <summary>The recent alerts of every playbook (one grain, key 0); it pushes each new one to every silo's hub bridge.</summary>
[Alias("csm.IAlertFeed")]
public interface IAlertFeed : IGrainWithIntegerKey
{
    [Alias("Add"), OneWay]
    Task Add(FiredAlert alert);

    /// <summary>Newest first, at most the feed's capacity.</summary>
    [Alias("GetRecent"), AlwaysInterleave]
    Task<FiredAlert[]> GetRecent();
}
