using CsMetrics.Scoring.Signals;

namespace CsMetrics.Scoring.Health;

/// <summary>
/// Turns a score change into one short sentence a CSM reads at a glance, e.g.
/// "urgent ticket T-9 opened: support 90 → 40".
/// </summary>
public static class ChangeReason
{
    public static string Describe(Signal? signal, string? componentName, double? before, double? after, string? fallback = null)
    {
        string cause = signal is null ? fallback ?? "re-evaluated" : DescribeSignal(signal);
        if (componentName is null)
        {
            return cause;
        }
        // A component seen for the first time reads "support now 40", not "support – → 40".
        return before is null && after is not null
            ? $"{cause}: {componentName} now {Format(after)}"
            : $"{cause}: {componentName} {Format(before)} → {Format(after)}";
    }

    public static string DescribeSignal(Signal s) => s.Type switch
    {
        SignalType.Usage => s.Feature is { } f ? $"usage of {f}" : "usage",
        SignalType.Ticket => $"{SignalNames.Of(s.Priority)} ticket {s.TicketId} {SignalNames.Of(s.TicketStatus).Replace('_', ' ')}",
        SignalType.Survey => $"{SignalNames.Of(s.SurveyKind).ToUpperInvariant()} answer {s.SurveyScore}",
        SignalType.Revenue => s.Mrr == 0 ? "MRR went to 0 (churned)" : $"MRR now {s.Mrr:0.##}",
        SignalType.Touchpoint => $"{SignalNames.Of(s.TouchpointKind)} touchpoint",
        SignalType.SelfService => $"help article {SignalNames.Of(s.SelfServiceAction).Replace('_', ' ')}",
        _ => "signal",
    };

    public static string Format(double? v) => v is { } x ? x.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) : "–";
}
