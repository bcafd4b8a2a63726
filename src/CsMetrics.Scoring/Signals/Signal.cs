namespace CsMetrics.Scoring.Signals;

public enum SignalType : byte { Usage = 0, Ticket = 1, Survey = 2, Revenue = 3, Touchpoint = 4, SelfService = 5 }

public enum TicketStatus : byte { Opened = 0, FirstResponse = 1, Solved = 2, Reopened = 3, Closed = 4 }

public enum TicketPriority : byte { Low = 0, Normal = 1, High = 2, Urgent = 3 }

public enum SurveyKind : byte { Nps = 0, Csat = 1, Ces = 2 }

/// <summary>How someone on our side was in touch with the account.</summary>
public enum TouchpointKind : byte { Meeting = 0, Call = 1, Email = 2, Qbr = 3, Training = 4, Onboarding = 5 }

public enum SelfServiceAction : byte { View = 0, Helpful = 1, NotHelpful = 2 }

/// <summary>
/// One validated signal. A flat, immutable shape (rather than a class per type) keeps the
/// wire format, the ingest log and the Orleans surrogate simple; only the fields of its
/// <see cref="Type"/> are meaningful.
/// </summary>
public sealed class Signal
{
    public required string Id { get; init; }
    public required string AccountId { get; init; }
    public required SignalType Type { get; init; }
    public required DateTimeOffset Timestamp { get; init; }

    // usage
    public string? UserId { get; init; }
    public string? Feature { get; init; }
    public int Count { get; init; } = 1;

    // ticket
    public string? TicketId { get; init; }
    public TicketStatus TicketStatus { get; init; }
    public TicketPriority Priority { get; init; } = TicketPriority.Normal;
    public string[]? Tags { get; init; }
    public int? AgentReplies { get; init; }

    // survey
    public SurveyKind SurveyKind { get; init; }
    public int SurveyScore { get; init; }
    public string? RespondentId { get; init; }
    public string? Comment { get; init; }

    // revenue
    public decimal Mrr { get; init; }

    // touchpoint
    public TouchpointKind TouchpointKind { get; init; }
    /// <summary>Who on our side (touchpoint).</summary>
    public string? By { get; init; }
    public string? Note { get; init; }

    // selfservice (UserId is shared with usage)
    public string? ArticleId { get; init; }
    public SelfServiceAction SelfServiceAction { get; init; }
}
