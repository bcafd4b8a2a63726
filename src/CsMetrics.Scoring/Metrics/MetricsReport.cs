namespace CsMetrics.Scoring.Metrics;

/// <summary>
/// The metrics of one period, for one account or the portfolio. The property names are the HTTP
/// contract (camelCase on the wire, docs/metrics.md). Rates are fractions; null = undefined.
/// </summary>
public sealed record MetricsReport(
    string? AccountId,
    DateOnly From,
    DateOnly To,
    int Days,
    string? Segment,
    string? Owner,
    long Accounts,
    SentimentMetrics Sentiment,
    SupportMetrics Support,
    EngagementMetrics Engagement,
    RevenueMetrics Revenue,
    TouchpointMetrics Touchpoints,
    SelfServiceMetrics SelfService,
    IReadOnlyDictionary<string, string> Indicators);

public sealed record NpsCsat(
    double? Nps, long NpsPromoters, long NpsPassives, long NpsDetractors, long NpsResponses,
    double? Csat, long CsatAnswers, long CsatPositive);

public sealed record SegmentSentiment(
    string Segment, double? Nps, long NpsPromoters, long NpsPassives, long NpsDetractors, long NpsResponses,
    double? Csat, long CsatAnswers, long CsatPositive);

public sealed record TenureSplit(NpsCsat New, NpsCsat Older);

public sealed record SentimentMetrics(
    double? Nps, long NpsPromoters, long NpsPassives, long NpsDetractors, long NpsResponses,
    double? Csat, long CsatAnswers, long CsatPositive,
    double? Ces, long CesAnswers, double? CesHighRate,
    TenureSplit ByTenure,
    SegmentSentiment[] BySegment);

public sealed record TagCount(string Tag, long Count, double? Share);

public sealed record SupportMetrics(
    long TicketsOpened, long TicketsSolved,
    double? FirstResponseMedianMinutes, double? FirstResponseP90Minutes, long FirstResponses,
    double? FcrRate, double? ReopenRate, double? TicketsPerActiveUser,
    TagCount[] TopTags);

public sealed record FeatureAdoption(string Feature, long Users, double? Rate);

public sealed record EngagementMetrics(
    double Dau, long Wau, long Mau, long ActiveUsers, double? Stickiness,
    long Seats, double? ActiveUsersPerSeat, long UsageEvents,
    FeatureAdoption[] FeatureAdoption, double? Breadth,
    double? TimeToValueMedianDays, long TimeToValueAccounts);

public sealed record RevenueMetrics(
    decimal MrrStart, decimal MrrEnd,
    decimal NewMrr, decimal ExpansionMrr, decimal ContractionMrr, decimal ChurnedMrr, decimal ReactivationMrr,
    double? NetMrrChurn, double? GrossMrrChurn, double? Grr, double? Nrr,
    long PayingAccountsStart, long PayingAccountsEnd, long ChurnedAccounts, double? LogoChurn, double? LogoRetention,
    long RenewalsDue, long RenewalsKept, double? RenewalRate,
    double? AverageMrrPerAccount, double? MonthlyLogoChurn, double? Clv);

public sealed record KindCount(string Kind, long Count);

public sealed record TouchpointMetrics(
    long Touchpoints, double? TouchpointsPerAccountPerMonth, double? DaysSinceLastTouchpoint, KindCount[] ByKind);

public sealed record ArticleMetrics(string ArticleId, long Views, long Helpful, long NotHelpful, double? HelpfulnessRate);

public sealed record SelfServiceMetrics(
    long ArticleViews, long Helpful, long NotHelpful, double? HelpfulnessRate,
    long SelfServiceUsers, double? SelfServiceRatio, ArticleMetrics[] Articles);
