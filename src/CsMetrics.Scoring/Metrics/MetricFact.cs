namespace CsMetrics.Scoring.Metrics;

/// <summary>
/// What a <see cref="FactKey"/> counts. Each kind says how a period reads it: most count when
/// their <see cref="FactKey.Day"/> is in the period; some also test <see cref="FactKey.Aux"/>
/// (see <see cref="PeriodFacts.Add"/>), which is what makes distinct counts, cohorts and "latest
/// answer per respondent" additive across days and accounts.
/// </summary>
public enum FactKind : byte
{
    /// <summary>One per account (day 0: every period).</summary>
    Account,
    /// <summary>Registry seats (day 0).</summary>
    Seats,
    /// <summary>An NPS answer; Aux = day its respondent answered again (int.MaxValue: never); Label = tenure.</summary>
    NpsPromoter,
    NpsPassive,
    NpsDetractor,
    /// <summary>Label = tenure.</summary>
    CsatAnswer,
    CsatPositive,
    CesAnswer,
    CesSum,
    CesHigh,
    TicketOpened,
    /// <summary>Label = tag; on the day the ticket opened.</summary>
    TicketTag,
    /// <summary>Aux = whole minutes from opened to first response; on the day of the response.</summary>
    FirstResponse,
    TicketSolved,
    /// <summary>Solved tickets whose agent replies are known (the FCR denominator).</summary>
    TicketSolvedKnownReplies,
    /// <summary>Solved with at most one agent reply.</summary>
    TicketSolvedFirstContact,
    TicketReopened,
    UsageEvents,
    /// <summary>A user's active day; Aux = that user's previous active day; Label "s" when the account has seats.</summary>
    UserActive,
    /// <summary>A feature's active day (any user); Aux = its previous active day; Label = feature.</summary>
    FeatureActive,
    /// <summary>A user's day with a feature; Aux = previous such day; Label = feature.</summary>
    FeatureUserActive,
    /// <summary>A day with usage; Aux = the previous one.</summary>
    AccountActive,
    /// <summary>Day = first feature use; Aux = days since the account's first signal.</summary>
    TimeToValue,
    /// <summary>Net MRR change on the day (cumulative: start = days before the period).</summary>
    MrrDelta,
    /// <summary>+1 when the account starts paying, −1 when it churns (cumulative).</summary>
    PayingDelta,
    /// <summary>Aux = day the paying stint began.</summary>
    NewMrr,
    ExpansionMrr,
    ContractionMrr,
    ChurnMrr,
    ReactivationMrr,
    /// <summary>A churn event; Aux = day the paying stint began.</summary>
    ChurnLogo,
    /// <summary>Day = renewal date; Aux = 1 when MRR > 0 at the end of that day.</summary>
    Renewal,
    /// <summary>Label = touchpoint kind.</summary>
    Touchpoint,
    /// <summary>A day with a touchpoint; Aux = the next such day (int.MaxValue: none).</summary>
    TouchpointDay,
    /// <summary>Label = article.</summary>
    ArticleView,
    ArticleHelpful,
    ArticleNotHelpful,
    /// <summary>A user's day with self-service; Aux = the previous one.</summary>
    SelfServiceUser,
}

public readonly record struct FactKey(FactKind Kind, int Day, int Aux = 0, string? Label = null);
