namespace CsMetrics.Scoring.Signals;

/// <summary>
/// Bounds on what one account keeps and what one signal may carry. They keep an account's
/// state bounded however long it lives and however hostile its producers are.
/// Documented in docs/signals.md.
/// </summary>
public static class SignalLimits
{
    public const int MaxIdLength = 200;
    public const int MaxNameLength = 200;
    public const int MaxTags = 20;
    public const int MaxTagLength = 64;
    public const int MaxCommentLength = 4000;
    public const int MaxUsageCount = 1_000_000;
    public const decimal MaxMrr = 1_000_000_000m;

    /// <summary>Distinct users tracked per account; activity of further users still counts as usage.</summary>
    public const int MaxUsersPerAccount = 10_000;
    /// <summary>Distinct features tracked per account.</summary>
    public const int MaxFeaturesPerAccount = 1_000;
    /// <summary>Tickets tracked per account (open ones, and closed ones for 90 days).</summary>
    public const int MaxTicketsPerAccount = 5_000;
    /// <summary>NPS respondents remembered per account (the least recently answering are dropped).</summary>
    public const int MaxRespondentsPerAccount = 5_000;
    /// <summary>MRR changes kept per account (the timeline is small: billing changes are rare).</summary>
    public const int MaxRevenuePoints = 2_000;
    /// <summary>How far in the future (by the server's clock) a timestamp may be.</summary>
    public static readonly TimeSpan MaxFutureSkew = TimeSpan.FromDays(1);
}
