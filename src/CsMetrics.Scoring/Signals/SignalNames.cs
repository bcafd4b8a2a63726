namespace CsMetrics.Scoring.Signals;

/// <summary>The wire names of the signal enums, exactly as the HTTP contract spells them.</summary>
public static class SignalNames
{
    public static string Of(SignalType t) => t switch
    {
        SignalType.Usage => "usage",
        SignalType.Ticket => "ticket",
        SignalType.Survey => "survey",
        SignalType.Revenue => "revenue",
        SignalType.Touchpoint => "touchpoint",
        SignalType.SelfService => "selfservice",
        _ => "unknown",
    };

    public static string Of(TouchpointKind k) => k switch
    {
        TouchpointKind.Meeting => "meeting",
        TouchpointKind.Call => "call",
        TouchpointKind.Email => "email",
        TouchpointKind.Qbr => "qbr",
        TouchpointKind.Training => "training",
        TouchpointKind.Onboarding => "onboarding",
        _ => "unknown",
    };

    public static string Of(SelfServiceAction a) => a switch
    {
        SelfServiceAction.View => "view",
        SelfServiceAction.Helpful => "helpful",
        SelfServiceAction.NotHelpful => "not_helpful",
        _ => "unknown",
    };

    public static bool TryParseTouchpointKind(string? s, out TouchpointKind k)
    {
        switch (s)
        {
            case "meeting": k = TouchpointKind.Meeting; return true;
            case "call": k = TouchpointKind.Call; return true;
            case "email": k = TouchpointKind.Email; return true;
            case "qbr": k = TouchpointKind.Qbr; return true;
            case "training": k = TouchpointKind.Training; return true;
            case "onboarding": k = TouchpointKind.Onboarding; return true;
            default: k = default; return false;
        }
    }

    public static bool TryParseSelfServiceAction(string? s, out SelfServiceAction a)
    {
        switch (s)
        {
            case "view": a = SelfServiceAction.View; return true;
            case "helpful": a = SelfServiceAction.Helpful; return true;
            case "not_helpful": a = SelfServiceAction.NotHelpful; return true;
            default: a = default; return false;
        }
    }

    public static string Of(TicketStatus s) => s switch
    {
        TicketStatus.Opened => "opened",
        TicketStatus.FirstResponse => "first_response",
        TicketStatus.Solved => "solved",
        TicketStatus.Reopened => "reopened",
        TicketStatus.Closed => "closed",
        _ => "unknown",
    };

    public static string Of(TicketPriority p) => p switch
    {
        TicketPriority.Low => "low",
        TicketPriority.Normal => "normal",
        TicketPriority.High => "high",
        TicketPriority.Urgent => "urgent",
        _ => "unknown",
    };

    public static string Of(SurveyKind k) => k switch
    {
        SurveyKind.Nps => "nps",
        SurveyKind.Csat => "csat",
        SurveyKind.Ces => "ces",
        _ => "unknown",
    };

    public static bool TryParseType(string? s, out SignalType t)
    {
        switch (s)
        {
            case "usage": t = SignalType.Usage; return true;
            case "ticket": t = SignalType.Ticket; return true;
            case "survey": t = SignalType.Survey; return true;
            case "revenue": t = SignalType.Revenue; return true;
            case "touchpoint": t = SignalType.Touchpoint; return true;
            case "selfservice": t = SignalType.SelfService; return true;
            default: t = default; return false;
        }
    }

    public static bool TryParseStatus(string? s, out TicketStatus t)
    {
        switch (s)
        {
            case "opened": t = TicketStatus.Opened; return true;
            case "first_response": t = TicketStatus.FirstResponse; return true;
            case "solved": t = TicketStatus.Solved; return true;
            case "reopened": t = TicketStatus.Reopened; return true;
            case "closed": t = TicketStatus.Closed; return true;
            default: t = default; return false;
        }
    }

    public static bool TryParsePriority(string? s, out TicketPriority p)
    {
        switch (s)
        {
            case "low": p = TicketPriority.Low; return true;
            case "normal": p = TicketPriority.Normal; return true;
            case "high": p = TicketPriority.High; return true;
            case "urgent": p = TicketPriority.Urgent; return true;
            default: p = default; return false;
        }
    }

    public static bool TryParseSurveyKind(string? s, out SurveyKind k)
    {
        switch (s)
        {
            case "nps": k = SurveyKind.Nps; return true;
            case "csat": k = SurveyKind.Csat; return true;
            case "ces": k = SurveyKind.Ces; return true;
            default: k = default; return false;
        }
    }
}
