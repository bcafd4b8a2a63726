using CsMetrics.Scoring.Signals;

namespace CsMetrics.Contracts.Signals;

/// <summary>
/// Signals for one account, handed to its grain in one call. Immutable: Orleans skips the
/// defensive copy for local calls, which matters on the ingest hot path.
/// </summary>
[GenerateSerializer, Immutable, Alias("csm.SignalBatch")]
public sealed record SignalBatch(Signal[] Signals);

/// <summary>
/// What an account grain did with a batch. <paramref name="Activation"/> identifies the grain
/// activation that holds the result in memory (random per activation), for the checkpoint's
/// check that nothing applied was lost with a silo.
/// </summary>
[GenerateSerializer, Immutable, Alias("csm.ApplyResult")]
public readonly record struct ApplyResult(int Accepted, int Duplicates, long Activation = 0, Index.IndexEntry? Listing = null);

/// <summary>
/// Orleans wire form of <see cref="Signal"/>, which lives in the Orleans-free scoring library.
/// </summary>
[GenerateSerializer, Alias("csm.Signal")]
public struct SignalSurrogate
{
    [Id(0)] public string Id;
    [Id(1)] public string AccountId;
    [Id(2)] public SignalType Type;
    [Id(3)] public DateTimeOffset Timestamp;
    [Id(4)] public string? UserId;
    [Id(5)] public string? Feature;
    [Id(6)] public int Count;
    [Id(7)] public string? TicketId;
    [Id(8)] public TicketStatus TicketStatus;
    [Id(9)] public TicketPriority Priority;
    [Id(10)] public string[]? Tags;
    [Id(11)] public int? AgentReplies;
    [Id(12)] public SurveyKind SurveyKind;
    [Id(13)] public int SurveyScore;
    [Id(14)] public string? RespondentId;
    [Id(15)] public string? Comment;
    [Id(16)] public decimal Mrr;
    [Id(17)] public TouchpointKind TouchpointKind;
    [Id(18)] public string? By;
    [Id(19)] public string? Note;
    [Id(20)] public string? ArticleId;
    [Id(21)] public SelfServiceAction SelfServiceAction;
}

[RegisterConverter]
public sealed class SignalSurrogateConverter : IConverter<Signal, SignalSurrogate>
{
    public Signal ConvertFromSurrogate(in SignalSurrogate s) => new()
    {
        Id = s.Id,
        AccountId = s.AccountId,
        Type = s.Type,
        Timestamp = s.Timestamp,
        UserId = s.UserId,
        Feature = s.Feature,
        Count = s.Count,
        TicketId = s.TicketId,
        TicketStatus = s.TicketStatus,
        Priority = s.Priority,
        Tags = s.Tags,
        AgentReplies = s.AgentReplies,
        SurveyKind = s.SurveyKind,
        SurveyScore = s.SurveyScore,
        RespondentId = s.RespondentId,
        Comment = s.Comment,
        Mrr = s.Mrr,
        TouchpointKind = s.TouchpointKind,
        By = s.By,
        Note = s.Note,
        ArticleId = s.ArticleId,
        SelfServiceAction = s.SelfServiceAction,
    };

    public SignalSurrogate ConvertToSurrogate(in Signal v) => new()
    {
        Id = v.Id,
        AccountId = v.AccountId,
        Type = v.Type,
        Timestamp = v.Timestamp,
        UserId = v.UserId,
        Feature = v.Feature,
        Count = v.Count,
        TicketId = v.TicketId,
        TicketStatus = v.TicketStatus,
        Priority = v.Priority,
        Tags = v.Tags,
        AgentReplies = v.AgentReplies,
        SurveyKind = v.SurveyKind,
        SurveyScore = v.SurveyScore,
        RespondentId = v.RespondentId,
        Comment = v.Comment,
        Mrr = v.Mrr,
        TouchpointKind = v.TouchpointKind,
        By = v.By,
        Note = v.Note,
        ArticleId = v.ArticleId,
        SelfServiceAction = v.SelfServiceAction,
    };
}
