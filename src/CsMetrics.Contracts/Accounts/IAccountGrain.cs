using CsMetrics.Contracts.Signals;

namespace CsMetrics.Contracts.Accounts;

/// <summary>
/// One grain per customer account (key = account id). Non-reentrant: signals for an account are
/// applied one batch at a time, in arrival order, so its aggregates need no locks.
/// </summary>
[Alias("csm.IAccountGrain")]
public interface IAccountGrain : IGrainWithStringKey
{
    /// <summary>Applies signals (already durably logged by the caller); duplicates by id are skipped.</summary>
    [Alias("Apply")]
    Task<ApplyResult> Apply(SignalBatch batch);

    /// <summary>
    /// The ingest path's <see cref="Apply"/>: the account's new listing entry, if it changed, comes
    /// back in <see cref="ApplyResult.Listing"/> instead of going to the index shard, and the
    /// ingestor sends the listings of a whole batch to each shard in one message (one index
    /// message per account per batch was a third of the engine's messages).
    /// </summary>
    [Alias("ApplyAndList")]
    Task<ApplyResult> ApplyAndList(SignalBatch batch);

    /// <summary>
    /// The log replay's <see cref="ApplyAndList"/> (recovery): the same scoring and explanations,
    /// but the account does not publish metric facts for these signals. Every replay is followed by
    /// a metrics rebuild, which republishes each account's full facts; publishing each replayed
    /// account on its own first was a quarter of the replay's CPU, spent on sums the rebuild resets.
    /// </summary>
    [Alias("Replay")]
    Task<ApplyResult> Replay(SignalBatch batch);

    /// <summary>Creates or updates the registry metadata. Persisted before it returns.</summary>
    [Alias("Register")]
    Task<AccountView> Register(AccountProfile profile);

    /// <summary>The account, or null when it was never registered and never sent a signal.</summary>
    [Alias("GetView")]
    Task<AccountView?> GetView();

    /// <summary>
    /// Re-scores as of now with no new signal: windows roll (silence lowers engagement), an
    /// expired override lifts, a new scorecard version applies. True if the score changed.
    /// </summary>
    /// <remarks><paramref name="minScorecardVersion"/>: refresh this silo's scorecard first if it is older (a rescore after activation).</remarks>
    [Alias("Reevaluate")]
    Task<bool> Reevaluate(int minScorecardVersion = 0);

    /// <summary>Score points between two instants, oldest first (empty for an unknown account).</summary>
    [Alias("GetHistory")]
    Task<HistoryPoint[]> GetHistory(DateTimeOffset from, DateTimeOffset to);

    /// <summary>Sets a manual override; null when the account does not exist.</summary>
    [Alias("SetOverride")]
    Task<AccountView?> SetOverride(ScoreOverride scoreOverride);

    /// <summary>Lifts the override (audited); null when the account does not exist.</summary>
    [Alias("LiftOverride")]
    Task<AccountView?> LiftOverride(string by, string? reason);

    /// <summary>What the account would score under another scorecard (for the preview), without changing anything.</summary>
    [Alias("PreviewScore"), Orleans.Concurrency.ReadOnly]
    Task<ScorePreview> PreviewScore(string proposedScorecardJson);

    /// <summary>
    /// This account's metric facts summed over days [fromDay, toDay] (DateOnly day numbers, both
    /// inclusive), as the scoring library's PeriodFacts JSON; empty for an unknown account.
    /// </summary>
    [Alias("GetMetricFacts"), Orleans.Concurrency.ReadOnly]
    Task<byte[]> GetMetricFacts(int fromDay, int toDay);

    /// <summary>What the account showed at the calibration's prediction time, and whether it churned in the window (docs/calibration.md).</summary>
    [Alias("GetCalibrationPoint"), Orleans.Concurrency.ReadOnly]
    Task<Calibration.CalibrationPoint> GetCalibrationPoint(Calibration.CalibrationWindow window);

    /// <summary>Writes the state if it changed since the last checkpoint.</summary>
    [Alias("Checkpoint")]
    Task Checkpoint();

    /// <summary>
    /// Metrics rebuild: sends the account's full metric facts to its shard under
    /// <paramref name="epoch"/> and publishes under it from now on. Does nothing if the account
    /// is already at that epoch or a newer one, so a retried rebuild never counts it twice.
    /// </summary>
    [Alias("RepublishMetrics")]
    Task RepublishMetrics(long epoch);

    /// <summary>
    /// Writes the state if it changed and says which activations' applies that state holds: this
    /// one (as <see cref="ApplyResult.Activation"/> names it) and those that wrote everything they
    /// applied when they deactivated. The checkpointer compares them with the activations that
    /// applied its log entries: one not held means the account came back from an older
    /// checkpoint (its silo died) and lost them.
    /// </summary>
    [Alias("CheckpointHolders")]
    Task<StateHolders> CheckpointHolders();

    /// <summary>
    /// Publishes the account's metric facts if a change is waiting for its publish window (the
    /// silo's publish queue calls it once per window). One-way: a lost call only delays the
    /// publish to the next checkpoint or deactivation, which publish anything waiting.
    /// </summary>
    [Alias("PublishDueMetrics"), Orleans.Concurrency.OneWay]
    Task PublishDueMetrics();
}
