using CsMetrics.Contracts.Accounts;

namespace CsMetrics.Grains.Accounts;

/// <summary>
/// What an account grain checkpoints. The aggregates travel as the scoring library's own compact
/// binary form, so the scoring library stays free of Orleans and any storage provider works.
/// </summary>
[GenerateSerializer, Alias("csm.AccountGrainState")]
public sealed class AccountGrainState
{
    [Id(0)] public AccountProfile? Profile { get; set; }
    [Id(1)] public byte[]? Aggregates { get; set; }
    /// <summary>
    /// The explained changes as checkpoints before <see cref="RecentChanges"/> wrote them: read
    /// once on activation, moved there, and never written again (null).
    /// </summary>
    [Id(2)] public ScoreChange[]? LegacyRecentChanges { get; set; }
    [Id(3)] public double? Score { get; set; }
    [Id(4)] public string? Band { get; set; }
    [Id(5)] public int ScorecardVersion { get; set; }
    [Id(6)] public DateTimeOffset? UpdatedAt { get; set; }
    [Id(7)] public ComponentView[] Components { get; set; } = [];
    /// <summary>The score at the end of each day it changed (newest last), for deltas and sparklines.</summary>
    [Id(8)] public List<DayScore> DailyCloses { get; set; } = [];
    /// <summary>Revision of the last listing entry reported to the index.</summary>
    [Id(9)] public long IndexRevision { get; set; }
    /// <summary>When the score last changed (what watchlists show as "updated").</summary>
    [Id(10)] public DateTimeOffset? ScoreChangedAt { get; set; }
    /// <summary>The account's first score: the reference for deltas of an account younger than the window.</summary>
    [Id(11)] public double? FirstScore { get; set; }
    /// <summary>Score changes of the recent past, at most one a minute (older ones live on as daily closes).</summary>
    [Id(12)] public List<HistoryPoint> RecentPoints { get; set; } = [];
    [Id(13)] public OverrideView? Override { get; set; }
    [Id(14)] public List<OverrideAudit> OverrideAudit { get; set; } = [];
    /// <summary>
    /// The latest applied signals as checkpoints before <see cref="LatestSignals"/> wrote them:
    /// read once on activation, moved there, and never written again (null).
    /// </summary>
    [Id(15)] public List<SignalSummary>? LegacyRecentSignals { get; set; }
    /// <summary>The account's metric facts have been sent to its metrics shard (state from before the catalog has not).</summary>
    [Id(16)] public bool MetricsPublished { get; set; }
    /// <summary>The portfolio metrics epoch the account last published under (0: before any rebuild).</summary>
    [Id(17)] public long MetricsEpoch { get; set; }
    /// <summary>
    /// Activations that wrote this state when they deactivated, with everything they had applied
    /// (newest last, at most <see cref="AccountGrain.HandedOffKept"/>): the checkpoint's proof
    /// that their log entries are held here although another activation answers now.
    /// </summary>
    [Id(18)] public long[] HandedOff { get; set; } = [];
    /// <summary>The latest applied signals, newest last, at most <see cref="AccountGrain.RecentSignalsKept"/> (for the account page).</summary>
    [Id(19)] public RecentSignal[] LatestSignals { get; set; } = [];
    /// <summary>The explained score changes, newest first, at most <see cref="AccountGrain.RecentChangesKept"/>.</summary>
    [Id(20)] public RecordedChange[] RecentChanges { get; set; } = [];

    // Calibration (docs/calibration.md). Ids from 40 leave room for other state without renumbering.
    /// <summary>Band and component scores at the end of each day they changed (oldest first), for calibration.</summary>
    [Id(40)] public List<Contracts.Calibration.CalibrationDay> CalibrationDays { get; set; } = [];
    /// <summary>Component names of the scorecard versions <see cref="CalibrationDays"/> refer to.</summary>
    [Id(41)] public List<Contracts.Calibration.ComponentNames> CalibrationNames { get; set; } = [];
    /// <summary>The churn times last reported to the calibration shard.</summary>
    [Id(42)] public DateTimeOffset[] ReportedChurns { get; set; } = [];
    [Id(43)] public long ChurnReportRevision { get; set; }

    /// <summary>Moves what a checkpoint of an older layout holds into today's fields.</summary>
    internal void UpgradeLayout()
    {
        if (LegacyRecentSignals is { } legacy)
        {
            LatestSignals = [.. legacy.TakeLast(AccountGrain.RecentSignalsKept).Select(RecentSignal.Of)];
            LegacyRecentSignals = null;
        }
        if (LegacyRecentChanges is { } changes)
        {
            RecentChanges = [.. changes.Take(AccountGrain.RecentChangesKept).Select(RecordedChange.Of)];
            LegacyRecentChanges = null;
        }
    }

    /// <summary>
    /// Texts restored from a checkpoint are this account's own copies; the live account shares
    /// them with every other account that holds the same (<see cref="SharedText"/>).
    /// </summary>
    internal void ShareTexts()
    {
        var latest = LatestSignals;
        for (int i = 0; i < latest.Length; i++)
        {
            latest[i] = latest[i] with { Summary = SharedText.Of(latest[i].Summary) };
        }
        // The words of a change too (its type, bands, component names): a restored account had its
        // own copy of each, a few hundred bytes per account after every restart.
        var changes = RecentChanges;
        for (int i = 0; i < changes.Length; i++)
        {
            var c = changes[i];
            changes[i] = c with
            {
                Reason = SharedText.Of(c.Reason),
                SignalType = SharedText.Of(c.SignalType),
                BandBefore = SharedText.OfNullable(c.BandBefore),
                BandAfter = SharedText.OfNullable(c.BandAfter),
            };
            var components = c.Components;
            for (int j = 0; j < components.Length; j++)
            {
                components[j] = components[j] with { Name = SharedText.Of(components[j].Name) };
            }
        }
        for (int i = 0; i < Components.Length; i++)
        {
            string name = SharedText.Of(Components[i].Name);
            if (!ReferenceEquals(name, Components[i].Name))
            {
                Components[i] = Components[i] with { Name = name };
            }
        }
        Band = SharedText.OfNullable(Band);
    }
}

/// <summary>The last score of a day on which it changed, with its band and scorecard version.</summary>
[GenerateSerializer, Immutable, Alias("csm.DayScore")]
public readonly record struct DayScore(int Day, double Score, long AtTicks = 0, string? Band = null, int Version = 0);
