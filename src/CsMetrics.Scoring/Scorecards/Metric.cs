using CsMetrics.Scoring.Signals;

namespace CsMetrics.Scoring.Scorecards;

/// <summary>The raw metrics a measure can read. docs/scorecard.md describes each one.</summary>
public enum Metric : byte
{
    /// <summary>Distinct active users in the window / seats. No value when seats are unknown (0).</summary>
    ActiveUsersPerSeat,
    /// <summary>Usage events in the last 7 days / weekly average of the 28 days before (1 = flat).</summary>
    UsageTrend,
    /// <summary>Days since the latest usage event.</summary>
    DaysSinceLastUsage,
    /// <summary>Distinct key features used in the window.</summary>
    KeyFeaturesUsed,
    /// <summary>Open tickets weighted by priority (low 0.5, normal 1, high 2, urgent 4).</summary>
    OpenTicketsWeighted,
    /// <summary>Urgent tickets currently open.</summary>
    UrgentTicketsOpen,
    /// <summary>Median hours from opened to first response, over tickets answered in the window.</summary>
    FirstResponseMedianHours,
    /// <summary>Reopened / solved tickets in the window.</summary>
    ReopenRate,
    /// <summary>NPS (−100..100) from the latest answer of each respondent.</summary>
    Nps,
    /// <summary>Share (0..100) of CSAT answers in the window that are 4 or 5.</summary>
    CsatPositiveRate,
    /// <summary>Mean CES answer (1..7) in the window.</summary>
    CesMean,
    /// <summary>MRR change in percent over the window (−100 = churned).</summary>
    MrrChangePct,
    /// <summary>Days since the latest touchpoint (a relationship measure).</summary>
    DaysSinceLastTouchpoint,
    /// <summary>Touchpoints in the window, scaled to a month (30.4375 days).</summary>
    TouchpointsPerMonth,
}

public static class MetricInfo
{
    public const int MaxWindowDays = Aggregates.DailyWindow.Days;

    public static readonly IReadOnlyDictionary<string, Metric> ByName = new Dictionary<string, Metric>
    {
        ["active_users_per_seat"] = Metric.ActiveUsersPerSeat,
        ["usage_trend"] = Metric.UsageTrend,
        ["days_since_last_usage"] = Metric.DaysSinceLastUsage,
        ["key_features_used"] = Metric.KeyFeaturesUsed,
        ["open_tickets_weighted"] = Metric.OpenTicketsWeighted,
        ["urgent_tickets_open"] = Metric.UrgentTicketsOpen,
        ["first_response_median_hours"] = Metric.FirstResponseMedianHours,
        ["reopen_rate"] = Metric.ReopenRate,
        ["nps"] = Metric.Nps,
        ["csat_positive_rate"] = Metric.CsatPositiveRate,
        ["ces_mean"] = Metric.CesMean,
        ["mrr_change_pct"] = Metric.MrrChangePct,
        ["days_since_last_touchpoint"] = Metric.DaysSinceLastTouchpoint,
        ["touchpoints_per_month"] = Metric.TouchpointsPerMonth,
    };

    public static string NameOf(Metric m)
    {
        foreach (var (name, metric) in ByName)
        {
            if (metric == m)
            {
                return name;
            }
        }
        return m.ToString();
    }

    /// <summary>Which kind of signal feeds the metric: a component is left out until one arrives.</summary>
    public static SignalType SourceOf(Metric m) => m switch
    {
        Metric.ActiveUsersPerSeat or Metric.UsageTrend or Metric.DaysSinceLastUsage or Metric.KeyFeaturesUsed => SignalType.Usage,
        Metric.OpenTicketsWeighted or Metric.UrgentTicketsOpen or Metric.FirstResponseMedianHours or Metric.ReopenRate => SignalType.Ticket,
        Metric.Nps or Metric.CsatPositiveRate or Metric.CesMean => SignalType.Survey,
        Metric.DaysSinceLastTouchpoint or Metric.TouchpointsPerMonth => SignalType.Touchpoint,
        _ => SignalType.Revenue,
    };

    public static int DefaultWindowDays(Metric m) => m switch
    {
        Metric.ActiveUsersPerSeat => 7,
        Metric.UsageTrend => 35,
        Metric.KeyFeaturesUsed => 30,
        Metric.TouchpointsPerMonth => 90,
        Metric.FirstResponseMedianHours or Metric.ReopenRate or Metric.CsatPositiveRate or Metric.CesMean or Metric.MrrChangePct => 90,
        _ => 0,
    };
}
