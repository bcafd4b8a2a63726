using CsMetrics.Scoring.Signals;

namespace CsMetrics.Scoring.Tests.Support;

/// <summary>Builds signals for tests. Every time is derived from the fixed <see cref="T0"/>.</summary>
internal static class Sig
{
    /// <summary>A fixed "now" for tests: noon UTC, so ± a few hours never crosses a day boundary.</summary>
    public static readonly DateTimeOffset T0 = new(2025, 3, 10, 12, 0, 0, TimeSpan.Zero);

    public const string Account = "acc-1";

    private static long _next;

    public static string NextId() => "sig-" + Interlocked.Increment(ref _next).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static DateTimeOffset DaysAgo(double days) => T0.AddDays(-days);

    public static Signal Usage(DateTimeOffset at, string? user = "u1", string? feature = null, int count = 1, string? id = null) => new()
    {
        Id = id ?? NextId(),
        AccountId = Account,
        Type = SignalType.Usage,
        Timestamp = at,
        UserId = user,
        Feature = feature,
        Count = count,
    };

    public static Signal Ticket(DateTimeOffset at, string ticketId, TicketStatus status, TicketPriority priority = TicketPriority.Normal, string? id = null) => new()
    {
        Id = id ?? NextId(),
        AccountId = Account,
        Type = SignalType.Ticket,
        Timestamp = at,
        TicketId = ticketId,
        TicketStatus = status,
        Priority = priority,
    };

    public static Signal Survey(DateTimeOffset at, SurveyKind kind, int score, string? respondent = null, string? id = null) => new()
    {
        Id = id ?? NextId(),
        AccountId = Account,
        Type = SignalType.Survey,
        Timestamp = at,
        SurveyKind = kind,
        SurveyScore = score,
        RespondentId = respondent,
    };

    public static Signal Nps(DateTimeOffset at, int score, string? respondent = null, string? id = null) => Survey(at, SurveyKind.Nps, score, respondent, id);

    public static Signal Csat(DateTimeOffset at, int score) => Survey(at, SurveyKind.Csat, score);

    public static Signal Ces(DateTimeOffset at, int score) => Survey(at, SurveyKind.Ces, score);

    public static Signal Revenue(DateTimeOffset at, decimal mrr, string? id = null) => new()
    {
        Id = id ?? NextId(),
        AccountId = Account,
        Type = SignalType.Revenue,
        Timestamp = at,
        Mrr = mrr,
    };

    public static Signal TicketEvent(DateTimeOffset at, string ticketId, TicketStatus status, string[]? tags = null, int? agentReplies = null) => new()
    {
        Id = NextId(),
        AccountId = Account,
        Type = SignalType.Ticket,
        Timestamp = at,
        TicketId = ticketId,
        TicketStatus = status,
        Tags = tags,
        AgentReplies = agentReplies,
    };

    public static Signal Touchpoint(DateTimeOffset at, TouchpointKind kind, string by = "csm-ann") => new()
    {
        Id = NextId(),
        AccountId = Account,
        Type = SignalType.Touchpoint,
        Timestamp = at,
        TouchpointKind = kind,
        By = by,
    };

    public static Signal SelfService(DateTimeOffset at, string user, string article, SelfServiceAction action) => new()
    {
        Id = NextId(),
        AccountId = Account,
        Type = SignalType.SelfService,
        Timestamp = at,
        UserId = user,
        ArticleId = article,
        SelfServiceAction = action,
    };
}
