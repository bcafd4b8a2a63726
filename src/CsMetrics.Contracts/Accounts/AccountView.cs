namespace CsMetrics.Contracts.Accounts;

/// <summary>The account as <c>GET /api/v1/accounts/{id}</c> returns it; field names are the HTTP contract.</summary>
[GenerateSerializer, Immutable, Alias("csm.AccountView")]
public sealed record AccountView(
    string AccountId,
    string? Name,
    string? Owner,
    string? Segment,
    int Seats,
    DateOnly? RenewalDate,
    SignalCounts SignalCounts,
    HealthView Health,
    ScoreChange[] RecentChanges,
    DateTimeOffset? LastSignalAt,
    OverrideAudit[] OverrideAudit,
    SignalSummary[] RecentSignals);

[GenerateSerializer, Immutable, Alias("csm.SignalCounts")]
public sealed record SignalCounts(
    long Usage,
    long Ticket,
    long Survey,
    long Revenue,
    long Touchpoint = 0,
    [property: System.Text.Json.Serialization.JsonPropertyName("selfservice")] long SelfService = 0)
{
    public long Total => Usage + Ticket + Survey + Revenue + Touchpoint + SelfService;
}

/// <summary>
/// The current health. <see cref="Score"/> and <see cref="Band"/> are null until some component
/// has data. <see cref="Explanation"/> is the latest score change.
/// </summary>
/// <remarks>
/// With a manual override active, <see cref="Score"/> and <see cref="Band"/> show the override
/// (<see cref="Overridden"/> true) and <see cref="ComputedScore"/>/<see cref="ComputedBand"/> keep
/// showing what the scorecard says underneath.
/// </remarks>
[GenerateSerializer, Immutable, Alias("csm.HealthView")]
public sealed record HealthView(
    double? Score,
    string? Band,
    int ScorecardVersion,
    DateTimeOffset? UpdatedAt,
    ComponentView[] Components,
    ScoreChange? Explanation,
    double? ComputedScore,
    string? ComputedBand,
    bool Overridden,
    OverrideView? Override,
    double? Delta7d,
    double? Delta30d);

[GenerateSerializer, Immutable, Alias("csm.ComponentView")]
public sealed record ComponentView(string Name, double? Score, double Weight, bool Included);

/// <summary>
/// Why a score changed: the signal that caused it, the score before and after, and every
/// component before and after. <see cref="Reason"/> is the same in one human sentence.
/// </summary>
[GenerateSerializer, Immutable, Alias("csm.ScoreChange")]
public sealed record ScoreChange(
    string? SignalId,
    string SignalType,
    double? Before,
    double? After,
    string? BandBefore,
    string? BandAfter,
    ComponentChange[] Components,
    DateTimeOffset At,
    string Reason);

[GenerateSerializer, Immutable, Alias("csm.ComponentChange")]
public sealed record ComponentChange(string Name, double? Before, double? After);

/// <summary>A point of the score history.</summary>
[GenerateSerializer, Immutable, Alias("csm.HistoryPoint")]
public sealed record HistoryPoint(DateTimeOffset At, double Score, string Band, int ScorecardVersion);

/// <summary>A manual override as requested: a band or a score, why, until when, by whom.</summary>
[GenerateSerializer, Immutable, Alias("csm.ScoreOverride")]
public sealed record ScoreOverride(string? Band, double? Score, string Reason, DateTimeOffset ExpiresAt, string By);

[GenerateSerializer, Immutable, Alias("csm.OverrideView")]
public sealed record OverrideView(string? Band, double? Score, string Reason, DateTimeOffset ExpiresAt, string By, DateTimeOffset SetAt);

/// <summary>One line of an account's override audit: set, lifted or expired.</summary>
[GenerateSerializer, Immutable, Alias("csm.OverrideAudit")]
public sealed record OverrideAudit(string Action, string? Band, double? Score, string? Reason, DateTimeOffset? ExpiresAt, string By, DateTimeOffset At);

[GenerateSerializer, Immutable, Alias("csm.ScorePreview")]
public sealed record ScorePreview(string AccountId, double? Before, string? BandBefore, double? After, string? BandAfter);

/// <summary>One of an account's latest applied signals, described for people (no free-text fields).</summary>
[GenerateSerializer, Immutable, Alias("csm.SignalSummary")]
public sealed record SignalSummary(string Id, string Type, DateTimeOffset Timestamp, DateTimeOffset AppliedAt, string Summary);
