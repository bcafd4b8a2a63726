namespace CsMetrics.Grains.Accounts;

/// <summary>
/// How much score history an account keeps (bound from "CsMetrics:History"). Every score change
/// is a point, coalesced to one a minute, for <see cref="RecentHours"/>; beyond that each day
/// keeps its close, for <see cref="RetentionDays"/>. Both are capped, so state stays bounded.
/// </summary>
public sealed class HistoryOptions
{
    public const string Section = "CsMetrics:History";

    public int RetentionDays { get; set; } = 400;

    public int RecentHours { get; set; } = 48;

    public int MaxRecentPoints { get; set; } = 500;

    /// <summary>
    /// Days of band and component snapshots kept for calibration: the longest horizon (365) plus the
    /// longest lead before a churn (90), and a margin.
    /// </summary>
    public int CalibrationDays { get; set; } = 460;
}
