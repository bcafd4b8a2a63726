using CsMetrics.Contracts.Index;
using System.Text.Json.Serialization;
using Orleans.Concurrency;

namespace CsMetrics.Contracts.Playbooks;

/// <summary>
/// When a playbook fires (docs/playbooks.md). <see cref="Type"/> picks which of the other fields apply:
/// <c>band_falls</c> (<see cref="To"/>, optional <see cref="From"/>), <c>score_drop</c> (<see cref="Points"/>),
/// <c>enters_watchlist</c> (<see cref="WatchlistId"/>), <c>no_usage</c> (<see cref="Days"/>),
/// <c>nps_detractor</c> (optional <see cref="Days"/>: how long an answer episode lasts),
/// <c>urgent_unanswered</c> (<see cref="Hours"/>).
/// </summary>
[GenerateSerializer, Immutable, Alias("csm.PlaybookTrigger")]
public sealed record PlaybookTrigger(
    string Type,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? To = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? From = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Points = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? WatchlistId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Days = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Hours = null);

/// <summary>What a playbook does when it fires: <c>webhook</c> or <c>slack</c>, posting to <see cref="Url"/>.</summary>
[GenerateSerializer, Immutable, Alias("csm.PlaybookAction")]
public sealed record PlaybookAction(string Type, string Url);

[GenerateSerializer, Immutable, Alias("csm.PlaybookDefinition")]
public sealed record PlaybookDefinition(string Id, string Name, PlaybookTrigger Trigger, PlaybookAction Action, int CooldownMinutes)
{
    public const int DefaultCooldownMinutes = 60;
    public const int MaxCooldownMinutes = 525_600;
}

/// <summary>One firing of a playbook for one account: the webhook body (docs/playbooks.md).</summary>
[GenerateSerializer, Immutable, Alias("csm.PlaybookFiring")]
public sealed record PlaybookFiring(
    string PlaybookId,
    string PlaybookName,
    string AccountId,
    string? AccountName,
    string? Owner,
    PlaybookTrigger Trigger,
    double? Score,
    string? Band,
    double? PreviousScore,
    string? PreviousBand,
    string? Reason,
    DateTimeOffset FiredAt);

/// <summary>One row of a playbook's delivery log.</summary>
[GenerateSerializer, Immutable, Alias("csm.PlaybookDeliveryRecord")]
public sealed record PlaybookDeliveryRecord(
    string Id,
    string AccountId,
    string Status,
    int Attempts,
    string? LastError,
    DateTimeOffset FiredAt,
    DateTimeOffset? DeliveredAt)
{
    public const string Delivered = "delivered";
    public const string Retrying = "retrying";
    public const string Dead = "dead";
}

/// <summary>The saved playbooks (one grain, key 0).</summary>
[Alias("csm.IPlaybookRegistry")]
public interface IPlaybookRegistry : IGrainWithIntegerKey
{
    [Alias("GetAll"), AlwaysInterleave]
    Task<PlaybookDefinition[]> GetAll();

    /// <summary>Creates or replaces a playbook; every evaluator learns the new set.</summary>
    [Alias("Put")]
    Task Put(PlaybookDefinition definition);

    /// <summary>False if unknown.</summary>
    [Alias("Delete")]
    Task<bool> Delete(string id);
}

/// <summary>
/// Evaluates every playbook for the accounts of one index shard (key = shard number): the shard
/// tells it each listing change, old and new entry; it keeps each account's condition state.
/// </summary>
[Alias("csm.IPlaybookEvaluator")]
public interface IPlaybookEvaluator : IGrainWithIntegerKey
{
    [Alias("OnChange"), OneWay]
    Task OnChange(IndexEntry? old, IndexEntry entry);

    /// <summary>Several listing changes at once, in order (a batch of the index shard).</summary>
    [Alias("OnChanges"), OneWay]
    Task OnChanges([Immutable] IndexChange[] changes);

    [Alias("SetPlaybooks")]
    Task SetPlaybooks(PlaybookDefinition[] playbooks);

    /// <summary>
    /// Time passed (the sweep calls this through the shard): re-evaluates the time-based triggers
    /// on the shard's entries that have a detractor answer or an unanswered urgent ticket.
    /// </summary>
    [Alias("Tick")]
    Task Tick();
}

/// <summary>One playbook's firings and delivery log (key = playbook id).</summary>
[Alias("csm.IPlaybookGrain")]
public interface IPlaybookGrain : IGrainWithStringKey
{
    /// <summary>Logs a firing and hands it to the silo's delivery service.</summary>
    [Alias("Fire")]
    Task Fire(PlaybookDefinition playbook, PlaybookFiring firing);

    /// <summary>The delivery service's progress on one delivery (replaces the row with the same id).</summary>
    [Alias("Report")]
    Task Report(PlaybookDeliveryRecord record);

    /// <summary>Most recent first.</summary>
    [Alias("GetDeliveries"), AlwaysInterleave]
    Task<PlaybookDeliveryRecord[]> GetDeliveries();

    [Alias("Clear")]
    Task Clear();
}
