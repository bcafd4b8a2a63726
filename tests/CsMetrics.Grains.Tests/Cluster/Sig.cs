using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Signals;
using CsMetrics.Scoring.Signals;

namespace CsMetrics.Grains.Tests.Cluster;

/// <summary>Terse signal builders for the grain tests.</summary>
public static class Sig
{
    public static string NewAccount(string prefix = "acct") => $"{prefix}-{Guid.NewGuid():N}";

    public static Signal Usage(string account, string id, DateTimeOffset at, string? user = null, string? feature = null, int count = 1) => new()
    {
        Id = id, AccountId = account, Type = SignalType.Usage, Timestamp = at, UserId = user, Feature = feature, Count = count,
    };

    public static Signal Ticket(string account, string id, DateTimeOffset at, string ticketId, TicketStatus status,
        TicketPriority priority = TicketPriority.Normal, string[]? tags = null, int? agentReplies = null) => new()
    {
        Id = id, AccountId = account, Type = SignalType.Ticket, Timestamp = at,
        TicketId = ticketId, TicketStatus = status, Priority = priority, Tags = tags, AgentReplies = agentReplies,
    };

    public static Signal Survey(string account, string id, DateTimeOffset at, SurveyKind kind, int score, string? respondent = null, string? comment = null) => new()
    {
        Id = id, AccountId = account, Type = SignalType.Survey, Timestamp = at,
        SurveyKind = kind, SurveyScore = score, RespondentId = respondent, Comment = comment,
    };

    public static Signal Revenue(string account, string id, DateTimeOffset at, decimal mrr) => new()
    {
        Id = id, AccountId = account, Type = SignalType.Revenue, Timestamp = at, Mrr = mrr,
    };

    public static SignalBatch Batch(params Signal[] signals) => new(signals);

    public static ComponentView Component(this AccountView view, string name) =>
        view.Health.Components.Single(c => c.Name == name);

    public static ComponentChange Component(this ScoreChange change, string name) =>
        change.Components.Single(c => c.Name == name);
}
