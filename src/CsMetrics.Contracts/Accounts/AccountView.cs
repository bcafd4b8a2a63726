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
    DateTimeOffset? LastSignalAt);

[GenerateSerializer, Immutable, Alias("csm.SignalCounts")]
public sealed record SignalCounts(long Usage, long Ticket, long Survey, long Revenue)
{
    public long Total => Usage + Ticket + Survey + Revenue;
}

/// <summary>
/// The current health. <see cref="Score"/> and <see cref="Band"/> are null until some component
/// has data. <see cref="Explanation"/> is the latest score change.
/// </summary>
[GenerateSerializer, Immutable, Alias("csm.HealthView")]
public sealed record HealthView(
    double? Score,
    string? Band,
    int ScorecardVersion,
    DateTimeOffset? UpdatedAt,
    ComponentView[] Components,
    ScoreChange? Explanation);

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
