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

/// <summary>
/// How an account publishes its metric facts to the portfolio shards (bound from
/// "CsMetrics:Metrics"). Building the facts costs time proportional to the account's history, so
/// by default an account publishes at most once per <see cref="PublishWindow"/> (and always before
/// its checkpoint and on deactivation): a hot account pays once a second, not once a batch, and
/// portfolio figures lag by at most the window. Zero publishes after every batch that changed
/// something (tests that read the portfolio right after ingest use that).
/// </summary>
public sealed class MetricsPublishOptions
{
    public const string Section = "CsMetrics:Metrics";

    public TimeSpan PublishWindow { get; set; } = TimeSpan.FromSeconds(1);
}
