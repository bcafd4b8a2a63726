using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Index;
using CsMetrics.Contracts.Metrics;
using CsMetrics.Contracts.Signals;
using CsMetrics.Grains.Checkpoints;
using CsMetrics.Grains.Scorecards;
using CsMetrics.Grains.Telemetry;
using CsMetrics.Scoring.Aggregates;
using CsMetrics.Scoring.Health;
using CsMetrics.Scoring.Metrics;
using CsMetrics.Scoring.Scorecards;
using CsMetrics.Scoring.Signals;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CsMetrics.Grains.Accounts;

/// <summary>
/// One customer account: its aggregates, its health and why it last changed. Applies signals in
/// memory and rescores on each; state is written by the checkpointer (and on deactivation), the
/// ingest log covers what happened since. Registry changes and overrides are written at once.
/// </summary>
public sealed partial class AccountGrain : Grain, IAccountGrain
{
    public const int RecentChangesKept = 20;
    public const int OverrideAuditKept = 100;
    public const int RecentSignalsKept = 20;
    private static readonly int SignalTypeCount = Enum.GetValues<SignalType>().Length;

    private readonly IPersistentState<AccountGrainState> _state;
    private readonly ScorecardRegistry _scorecards;
    private readonly DirtyAccounts _dirty;
    private readonly TimeProvider _time;
    private readonly HistoryOptions _history;
    private readonly ILogger<AccountGrain> _logger;

    private AccountAggregates _aggregates = new();
    /// <summary>The latest applied signals, oldest first, in <c>[0, _recentSignalCount)</c> (<see cref="RecentSignal.MakeRoom"/>).</summary>
    private RecentSignal[] _recentSignals = [];
    private int _recentSignalCount;
    /// <summary>
    /// Component scores of the rescore in progress. Per thread rather than per account: a rescore
    /// fills and reads it without awaiting, and a million resident accounts would each carry one.
    /// </summary>
    [ThreadStatic]
    private static ComponentScore[]? t_scratch;
    private bool _dirtyState;
    /// <summary>Explained changes recorded by this activation (tells a re-evaluation whether it recorded one).</summary>
    private long _changesRecorded;
    /// <summary>When log entries last went through this activation (see <see cref="HandOffWindow"/>).</summary>
    private DateTimeOffset _lastLogApplyAt = DateTimeOffset.MinValue;
    /// <summary><see cref="DirtyAccounts.Rounds"/> at the last apply: whether a checkpoint verified it yet.</summary>
    private long _lastApplyRound = long.MinValue / 2;
    private readonly TimeSpan _handOffWindow;
    private IndexEntry? _lastReported;
    /// <summary>
    /// The metric facts the shard holds for this account, and under which (segment, owner), taken
    /// just before a change and dropped after publishing: 100k accounts must not each keep a copy.
    /// </summary>
    private Dictionary<FactKey, decimal>? _sentFacts;
    private (string Segment, string Owner) _sentGroup;
    /// <summary>Facts in the last build: a big account coalesces its publishes (see <see cref="CoalesceFactsAbove"/>).</summary>
    private int _lastFactCount;
    private bool _publishScheduled;
    private readonly TimeSpan _publishWindow;
    private readonly Metrics.MetricsPublishQueue _publishQueue;

    /// <summary>
    /// An account with more facts than this (years of daily usage by many users: a build takes
    /// milliseconds) publishes at most once per <see cref="PublishCoalesceWindow"/> instead of
    /// after every batch; it also publishes before every checkpoint and on deactivation, so the
    /// shards are never behind what the account has saved. By fact count, not by timing, so it
    /// is deterministic.
    /// </summary>
    public const int CoalesceFactsAbove = 5_000;
    public static readonly TimeSpan PublishCoalesceWindow = TimeSpan.FromSeconds(1);

    public AccountGrain(
        [PersistentState("account", StorageNames.Accounts)] IPersistentState<AccountGrainState> state,
        ScorecardRegistry scorecards,
        DirtyAccounts dirty,
        TimeProvider time,
        IOptions<HistoryOptions> history,
        IOptions<MetricsPublishOptions> metrics,
        IOptions<CheckpointOptions> checkpoints,
        Metrics.MetricsPublishQueue publishQueue,
        ILogger<AccountGrain> logger)
    {
        _publishWindow = metrics.Value.PublishWindow;
        _handOffWindow = HandOffWindow(checkpoints.Value.Interval);
        _publishQueue = publishQueue;
        _state = state;
        _scorecards = scorecards;
        _dirty = dirty;
        _time = time;
        _history = history.Value;
        _logger = logger;
    }

    /// <summary>Random per activation: tells the checkpointer whether the state it verifies is the one its entries went to.</summary>
    private readonly long _activation = Random.Shared.NextInt64(1, long.MaxValue);

    private string? _accountId;

    /// <summary>
    /// Kept once read: the grain id stores the key as bytes, so every read made a new string
    /// (several per apply: the dirty mark, the listing, the publish queue), and the listing held
    /// its own copy anyway.
    /// </summary>
    private string AccountId => _accountId ??= this.GetPrimaryKeyString();

    private bool Exists => _state.RecordExists || _state.State.Profile is not null || _aggregates.LastSignalAt is not null;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        CsMetricsTelemetry.AccountActivated();
        // A hand-off recorded by an earlier activation no longer speaks for the account: this one
        // may change it before the next checkpoint, which must then ask it to write.
        _dirty.Activated(AccountId);
        if (_state.State.Aggregates is { Length: > 0 } bytes)
        {
            _aggregates = AccountAggregates.FromBytes(bytes);
            // Memory: the live aggregates are the truth from here on; WriteAsync serializes them anew.
            _state.State.Aggregates = null;
        }
        _state.State.UpgradeLayout();
        _state.State.ShareTexts();
        // Like the aggregates: the live list is the truth from here on; WriteAsync copies it out.
        _recentSignals = _state.State.LatestSignals;
        _recentSignalCount = _recentSignals.Length;
        _state.State.LatestSignals = [];
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        CsMetricsTelemetry.AccountDeactivated();
        if (_publishScheduled)
        {
            _publishQueue.Remove(AccountId); // published here: the queue must not wake it again
            await PublishMetricFacts();
        }
        // Also when a checkpoint wrote everything already: log entries this activation applied
        // lately may still be waiting for a checkpoint that asks for it (their marks can reach
        // the checkpointer after it drained them), and only the state can say that it holds them
        // once the activation is gone. That is: within the hand-off window of the last apply, or
        // later while no checkpoint round on this node has verified it (rounds fall behind on a
        // node short of memory; accounts shed unwritten then came back without their entries).
        // Not for applies verified long ago: a graceful stop or shedding must not rewrite every
        // account that ever got a signal.
        if (_dirtyState || _time.GetUtcNow() - _lastLogApplyAt < _handOffWindow || !_dirty.IsCheckedOut(_lastApplyRound))
        {
            HandOff();
            await WriteAsync();
            if (!cancellationToken.IsCancellationRequested)
            {
                // Recorded only while Orleans still waits for this deactivation: once it gave up, a
                // new activation may already be running, and this record must not speak for it.
                _dirty.HandedOff(AccountId, _state.State.HandedOff);
            }
        }
    }

    public Task<ApplyResult> Apply(SignalBatch batch) => ApplyCore(batch, reportListing: true);

    public Task<ApplyResult> ApplyAndList(SignalBatch batch) => ApplyCore(batch, reportListing: false);

    public Task<ApplyResult> Replay(SignalBatch batch) => ApplyCore(batch, reportListing: false, publishMetrics: false);

    private async Task<ApplyResult> ApplyCore(SignalBatch batch, bool reportListing, bool publishMetrics = true)
    {
        // Never score with a scorecard older than the one this account already has (a silo
        // that has not yet heard of a new version refreshes first).
        await _scorecards.EnsureVersionAsync(GrainFactory, _state.State.ScorecardVersion);
        var card = Card();
        var now = _time.GetUtcNow();
        // Every apply, duplicates only included: the ingestor marks the account with this activation.
        _lastLogApplyAt = now;
        _lastApplyRound = _dirty.Rounds;
        if (publishMetrics)
        {
            EnsureSentFacts();
        }
        int accepted = 0, duplicates = 0;
        bool revenueChanged = false;
        // Counted per type and reported once per batch: a tagged counter update per signal
        // costs a lookup in every listening meter.
        Span<int> byType = stackalloc int[SignalTypeCount];
        // Only the last RecentSignalsKept accepted signals can survive in the recent list: their
        // positions go round this ring, and only they are summarised after the loop (a replay
        // call carries up to thousands of one account's signals).
        Span<int> lastAccepted = stackalloc int[RecentSignalsKept];
        var signals = batch.Signals;
        for (int i = 0; i < signals.Length; i++)
        {
            var signal = signals[i];
            if (!_aggregates.Apply(signal, now))
            {
                duplicates++;
                continue;
            }
            lastAccepted[accepted % RecentSignalsKept] = i;
            accepted++;
            byType[(int)signal.Type]++;
            Rescore(card, signal, null, now);
            revenueChanged |= signal.Type == SignalType.Revenue;
            KeepComment(signal);
        }
        if (accepted > 0)
        {
            RememberSignals(signals, lastAccepted, accepted, now);
        }
        if (revenueChanged)
        {
            ReportChurnsIfChanged(now);
        }

        for (int t = 0; t < byType.Length; t++)
        {
            if (byType[t] > 0)
            {
                CsMetricsTelemetry.SignalsIngested.Add(byType[t], new KeyValuePair<string, object?>("type", SignalNames.Of((SignalType)t)));
            }
        }
        if (duplicates > 0)
        {
            CsMetricsTelemetry.SignalsDuplicate.Add(duplicates);
        }
        // A busy account may never be due for a sweep: its signals lift an expired override too.
        bool expired = ExpireOverride(now);
        IndexEntry? listing = null;
        if (accepted > 0 || expired)
        {
            MarkDirty();
            listing = NextListing();
            if (listing is not null && reportListing)
            {
                await IndexShard().Upsert(listing);
                listing = null;
            }
        }
        // A replay publishes nothing: the metrics rebuild that follows it republishes these
        // facts (a publish already waiting, from live signals before, keeps its baseline and
        // carries them too).
        bool publish = accepted > 0 && publishMetrics;
        if (publish && (_publishWindow > TimeSpan.Zero || _lastFactCount > CoalesceFactsAbove))
        {
            SchedulePublish();
        }
        else if (publish)
        {
            await PublishMetricFacts();
        }
        else if (!_publishScheduled)
        {
            ReleaseSentFacts(); // nothing to publish, nothing to keep
        }
        return new ApplyResult(accepted, duplicates, _activation, listing);
    }

    public async Task<bool> Reevaluate(int minScorecardVersion = 0)
    {
        if (!Exists)
        {
            DeactivateOnIdle(); // woken for nothing: don't linger
            return false;
        }
        await _scorecards.EnsureVersionAsync(GrainFactory, minScorecardVersion);
        var now = _time.GetUtcNow();
        long recordedBefore = _changesRecorded;
        bool changed = ExpireOverride(now);
        var card = Card();
        if (_aggregates.LastSignalAt is not null)
        {
            string? cause = card.Version != _state.State.ScorecardVersion && _state.State.ScorecardVersion != 0
                ? $"scorecard v{card.Version} applied"
                : null;
            changed |= Rescore(card, null, cause, now);
        }
        // Only a recorded change is worth a write: a sweep of a quiet account costs no I/O.
        if (changed || _changesRecorded != recordedBefore)
        {
            MarkDirty();
        }
        await ReportToIndex();
        return changed;
    }

    /// <summary>Lifts (and audits) the override once it has expired; true if it did.</summary>
    private bool ExpireOverride(DateTimeOffset now)
    {
        if (_state.State.Override is not { } o || o.ExpiresAt > now)
        {
            return false;
        }
        Audit("expired", o.Band, o.Score, o.Reason, o.ExpiresAt, "system", now);
        _state.State.Override = null;
        return true;
    }

    /// <summary>Keeps the batch's last accepted signals (their positions in <paramref name="ring"/>, oldest first from <c>accepted % RecentSignalsKept</c>).</summary>
    private void RememberSignals(Signal[] signals, ReadOnlySpan<int> ring, int accepted, DateTimeOffset now)
    {
        int adding = Math.Min(accepted, RecentSignalsKept);
        _recentSignalCount = RecentSignal.MakeRoom(ref _recentSignals, _recentSignalCount, adding, RecentSignalsKept, out int firstNew);
        for (int k = 0; k < adding; k++)
        {
            _recentSignals[firstNew + k] = RecentSignal.Of(signals[ring[(accepted - adding + k) % RecentSignalsKept]], now);
        }
    }

    /// <summary>Re-evaluates the score; records an explanation when anything visible moved. True if score or band changed.</summary>
    private bool Rescore(Scorecard card, Signal? cause, string? causeText, DateTimeOffset now)
    {
        var state = _state.State;
        var scratch = t_scratch is { } s && s.Length >= card.Components.Count ? s : (t_scratch = new ComponentScore[card.Components.Count]);
        var health = HealthScorer.Evaluate(card, _aggregates, state.Profile?.Seats ?? 0, now, scratch);
        double? after = health.HasScore ? health.Score : null;
        string? bandAfter = health.HasScore ? HealthBandNames.Of(health.Band) : null;

        var previous = state.Components;
        bool versionChanged = state.ScorecardVersion != card.Version;
        int count = card.Components.Count;
        // Compared field by field before anything is allocated: most signals move nothing
        // visible, and those cost no garbage (the in-process benchmark's per-signal path).
        bool componentsChanged = previous.Length != count || versionChanged;
        for (int i = 0; i < count && !componentsChanged; i++)
        {
            componentsChanged = !Shows(previous[i], card.Components[i].Name, scratch[i]);
        }

        bool scoreChanged = after != state.Score || bandAfter != state.Band;
        state.UpdatedAt = now;
        if (!scoreChanged && !componentsChanged)
        {
            return false;
        }

        // A rescore usually moves one component: the others' views equal the previous ones, and
        // reuse those instances (they are immutable; the serializer keeps the sharing within a
        // checkpoint). The recorded change keeps every component's pair as a struct (RecordedChange).
        var components = new ComponentView[count];
        for (int i = 0; i < count; i++)
        {
            ref readonly ComponentScore c = ref scratch[i];
            string name = card.Components[i].Name;
            components[i] = i < previous.Length && Shows(previous[i], name, c)
                ? previous[i]
                : new ComponentView(name, c.Included ? c.Score : null, c.Weight, c.Included);
        }

        var changes = new ComponentDelta[components.Length];
        string? biggest = null;
        double biggestDelta = -1;
        double? biggestBefore = null, biggestAfter = null;
        for (int i = 0; i < components.Length; i++)
        {
            double? before = FindComponent(previous, components[i].Name);
            changes[i] = ComponentDelta.Of(components[i].Name, before, components[i].Score);
            double delta = Math.Abs((components[i].Score ?? 0) - (before ?? 0));
            if (before != components[i].Score && delta > biggestDelta)
            {
                biggest = components[i].Name;
                biggestDelta = delta;
                biggestBefore = before;
                biggestAfter = components[i].Score;
            }
        }

        if (cause is null && causeText is null)
        {
            causeText = DescribePassingTime(biggest, now);
        }
        var change = new RecordedChange(
            cause?.Id,
            cause is null ? "reevaluation" : SignalNames.Of(cause.Type),
            Scores.Pack(state.Score),
            Scores.Pack(after),
            state.Band,
            bandAfter,
            changes,
            now.UtcTicks,
            SharedText.Of(ChangeReason.Describe(cause, biggest, biggestBefore, biggestAfter, causeText)));
        state.RecentChanges = RecordedChange.Prepend(state.RecentChanges, change, RecentChangesKept);
        _changesRecorded++;
        state.Components = components;
        state.Score = after;
        state.Band = bandAfter;
        state.ScorecardVersion = card.Version;
        RecordCalibrationDay(card, components, bandAfter, now);
        if (scoreChanged)
        {
            CsMetricsTelemetry.ScoreChanges.Add(1);
        }
        if ((scoreChanged || versionChanged) && after is { } score)
        {
            state.ScoreChangedAt = now;
            state.FirstScore ??= score;
            RecordHistory(new HistoryPoint(now, score, bandAfter!, card.Version));
        }
        return scoreChanged;
    }

    /// <summary>"no usage for 9 days" when silence is what moved engagement; otherwise time in general.</summary>
    private string DescribePassingTime(string? component, DateTimeOffset now)
    {
        if (component == "engagement" && _aggregates.LastUsageAt is { } last)
        {
            int days = DayNumber.Of(now) - DayNumber.Of(last);
            if (days >= 2)
            {
                return $"no usage for {days} days";
            }
        }
        return "re-evaluated as time passed";
    }

    private void RecordHistory(HistoryPoint point)
    {
        var state = _state.State;
        var points = state.RecentPoints;
        // At most one point a minute; a scorecard version change always starts a new point.
        if (points.Count > 0 && points[^1].At.UtcTicks / TimeSpan.TicksPerMinute == point.At.UtcTicks / TimeSpan.TicksPerMinute
            && points[^1].ScorecardVersion == point.ScorecardVersion)
        {
            points[^1] = point;
        }
        else
        {
            points.Add(point);
        }
        var cutoff = point.At - TimeSpan.FromHours(_history.RecentHours);
        int drop = 0;
        while (drop < points.Count && (points[drop].At < cutoff || points.Count - drop > _history.MaxRecentPoints))
        {
            drop++;
        }
        if (drop > 0)
        {
            points.RemoveRange(0, drop);
        }
        ScoreTrend.RecordClose(state.DailyCloses, new DayScore(DayNumber.Of(point.At), point.Score, point.At.UtcTicks, point.Band, point.ScorecardVersion), _history.RetentionDays);
    }

    public Task<HistoryPoint[]> GetHistory(DateTimeOffset from, DateTimeOffset to)
    {
        var state = _state.State;
        var recent = state.RecentPoints;
        var firstRecent = recent.Count > 0 ? recent[0].At : DateTimeOffset.MaxValue;
        var result = new List<HistoryPoint>();
        foreach (var close in state.DailyCloses)
        {
            var at = new DateTimeOffset(close.AtTicks == 0 ? DayNumber.Start(close.Day).UtcTicks : close.AtTicks, TimeSpan.Zero);
            if (at < firstRecent && at >= from && at <= to)
            {
                result.Add(new HistoryPoint(at, close.Score, close.Band ?? HealthBandNames.Of(Card().Bands.BandOf(close.Score)), close.Version));
            }
        }
        result.AddRange(recent.Where(p => p.At >= from && p.At <= to));
        return Task.FromResult(result.ToArray());
    }

    public async Task<AccountView?> SetOverride(ScoreOverride o)
    {
        if (!Exists)
        {
            return null;
        }
        var now = _time.GetUtcNow();
        _state.State.Override = new OverrideView(o.Band, o.Score, o.Reason, o.ExpiresAt, o.By, now);
        Audit("set", o.Band, o.Score, o.Reason, o.ExpiresAt, o.By, now);
        await ReportToIndex();
        await WriteAsync();
        return BuildView();
    }

    public async Task<AccountView?> LiftOverride(string by, string? reason)
    {
        if (!Exists)
        {
            return null;
        }
        if (_state.State.Override is { } o)
        {
            Audit("lifted", o.Band, o.Score, reason ?? o.Reason, o.ExpiresAt, by, _time.GetUtcNow());
            _state.State.Override = null;
            await ReportToIndex();
            await WriteAsync();
        }
        return BuildView();
    }

    private void Audit(string action, string? band, double? score, string? reason, DateTimeOffset? expiresAt, string by, DateTimeOffset at)
    {
        var audit = _state.State.OverrideAudit;
        audit.Add(new OverrideAudit(action, band, score, reason, expiresAt, by, at));
        if (audit.Count > OverrideAuditKept)
        {
            audit.RemoveAt(0);
        }
    }

    public Task<ScorePreview> PreviewScore(string proposedScorecardJson)
    {
        var proposed = _scorecards.ParseCached(proposedScorecardJson);
        var s = _state.State;
        if (_aggregates.LastSignalAt is null)
        {
            return Task.FromResult(new ScorePreview(AccountId, s.Score, s.Band, null, null));
        }
        var scratch = new ComponentScore[proposed.Components.Count];
        var health = HealthScorer.Evaluate(proposed, _aggregates, s.Profile?.Seats ?? 0, _time.GetUtcNow(), scratch);
        return Task.FromResult(new ScorePreview(
            AccountId, s.Score, s.Band,
            health.HasScore ? health.Score : null,
            health.HasScore ? HealthBandNames.Of(health.Band) : null));
    }

    /// <summary>Whether <paramref name="view"/> already shows this component score (compared before allocating a new view).</summary>
    private static bool Shows(ComponentView view, string name, in ComponentScore c) =>
        view.Name == name && view.Score == (c.Included ? c.Score : null) && view.Weight == c.Weight && view.Included == c.Included;

    private static double? FindComponent(ComponentView[] components, string name)
    {
        foreach (var c in components)
        {
            if (c.Name == name)
            {
                return c.Score;
            }
        }
        return null;
    }

    public async Task<AccountView> Register(AccountProfile profile)
    {
        EnsureSentFacts();
        _state.State.Profile = profile;
        // Seats feed engagement: rescore so the registry change shows at once.
        if (_aggregates.LastSignalAt is not null)
        {
            Rescore(Card(), null, "account details updated", _time.GetUtcNow());
        }
        // Report first: the write then also persists the revision just reported, so a
        // reactivated grain never reuses it (the shard would drop that report as stale).
        await ReportToIndex();
        // Seats, renewal date, segment and owner all shape the account's portfolio facts.
        await PublishMetricFacts();
        await WriteAsync();
        return BuildView();
    }

    public Task<AccountView?> GetView() => Task.FromResult(Exists ? BuildView() : null);

    public Task<byte[]> GetMetricFacts(int fromDay, int toDay)
    {
        var p = _state.State.Profile;
        return Task.FromResult(Exists
            ? _aggregates.PeriodFacts(fromDay, toDay, p?.Seats ?? 0, p?.RenewalDate, p?.Segment).ToBytes()
            : []);
    }

    private (string Segment, string Owner) MetricsGroup() => (_state.State.Profile?.Segment ?? "", _state.State.Profile?.Owner ?? "");

    private Dictionary<FactKey, decimal> CurrentFacts() => BuildFacts(new Dictionary<FactKey, decimal>(_lastFactCount + 8));

    /// <summary>The facts of the current state, built into <paramref name="into"/>.</summary>
    private Dictionary<FactKey, decimal> BuildFacts(Dictionary<FactKey, decimal> into)
    {
        var p = _state.State.Profile;
        return MetricFacts.Build(_aggregates, p?.Seats ?? 0, p?.RenewalDate, into);
    }

    /// <summary>
    /// The facts of the current state in this thread's scratch map: valid until the next await
    /// (another grain's turn on this thread may refill it), so only for a build that is diffed and
    /// encoded within one synchronous stretch.
    /// </summary>
    private Dictionary<FactKey, decimal> CurrentFactsScratch() => BuildFacts(FactScratch.Current);

    /// <summary>
    /// What the shard holds for this account, taken before anything changes: the facts of the
    /// current state (every change is published), or nothing if it never published.
    /// </summary>
    private void EnsureSentFacts()
    {
        if (_sentFacts is not null)
        {
            return;
        }
        var baseline = FactBaselinePool.Shared.Rent(_lastFactCount + 8);
        _sentFacts = _state.State.MetricsPublished ? BuildFacts(baseline) : baseline;
        _lastFactCount = _sentFacts.Count;
        _sentGroup = MetricsGroup();
    }

    /// <summary>The baseline is no longer needed: back to the pool, and forgotten here.</summary>
    private void ReleaseSentFacts()
    {
        if (_sentFacts is { } baseline)
        {
            _sentFacts = null;
            FactBaselinePool.Shared.Return(baseline);
        }
    }

    /// <summary>
    /// Waits for the silo's next publish window (<see cref="Metrics.MetricsPublishQueue"/>), which
    /// then sends the shard the difference between the account's facts and what it sent before:
    /// a late signal that rewrites an earlier movement corrects the portfolio by exactly that.
    /// </summary>
    private void SchedulePublish()
    {
        if (_publishScheduled)
        {
            return; // the baseline taken before the first of these batches still holds
        }
        _publishScheduled = true;
        _publishQueue.Enqueue(AccountId);
    }

    public Task PublishDueMetrics()
    {
        if (_publishScheduled)
        {
            return PublishMetricFacts();
        }
        if (!Exists)
        {
            DeactivateOnIdle(); // woken for nothing (it had published and gone): don't linger
        }
        return Task.CompletedTask;
    }

    private async Task PublishMetricFacts()
    {
        _publishScheduled = false;
        var group = MetricsGroup();
        var shard = GrainFactory.Get<IMetricsShard>(MetricsShards.ShardOf(AccountId));
        if (!_state.State.MetricsPublished)
        {
            // First publish (its baseline is empty, so it sends the full facts): under the
            // shard's epoch, or a shard rebuilt before this account existed would drop it.
            _state.State.MetricsEpoch = await shard.GetEpoch();
        }
        long epoch = _state.State.MetricsEpoch, shardEpoch = epoch;
        // Built, diffed and encoded with no await in between: the scratch maps are this thread's.
        var current = CurrentFactsScratch();
        _lastFactCount = current.Count;
        if (group == _sentGroup)
        {
            var delta = MetricFacts.Diff(_sentFacts!, current, FactScratch.Delta);
            byte[]? payload = delta.Count > 0 ? MetricFacts.Encode(delta) : null;
            if (payload is not null)
            {
                shardEpoch = await shard.Add(group.Segment, group.Owner, payload, epoch);
            }
        }
        else
        {
            shardEpoch = await shard.Move(_sentGroup.Segment, _sentGroup.Owner, MetricFacts.Encode(_sentFacts!), group.Segment, group.Owner, MetricFacts.Encode(current), epoch);
        }
        ReleaseSentFacts();
        if (!_state.State.MetricsPublished)
        {
            _state.State.MetricsPublished = true;
            MarkDirty();
        }
        if (shardEpoch > epoch)
        {
            // The shard was rebuilt and dropped this delta: send everything under its epoch now
            // rather than wait for the rebuild (or the next one, if this account is not listed).
            await RepublishAsync(shardEpoch);
        }
    }

    /// <summary>
    /// A rebuild reached this account: its shard was reset to <paramref name="epoch"/>, so send
    /// everything (a delta from nothing) under it. A change still waiting to be published is
    /// part of the full facts. Publishes of the account's older epoch that the shard dropped
    /// since the reset are covered the same way; publishes after this one are diffs from here.
    /// </summary>
    public async Task RepublishMetrics(long epoch)
    {
        if (!Exists)
        {
            DeactivateOnIdle(); // woken for nothing: don't linger
            return;
        }
        if (epoch <= _state.State.MetricsEpoch)
        {
            return; // already sent under this epoch (a retried rebuild, or its first publish came after the reset)
        }
        await RepublishAsync(epoch);
    }

    private async Task RepublishAsync(long epoch)
    {
        _publishScheduled = false;
        var current = CurrentFacts();
        _lastFactCount = current.Count;
        var group = MetricsGroup();
        var shard = GrainFactory.Get<IMetricsShard>(MetricsShards.ShardOf(AccountId));
        // A shard that moved on again meanwhile (another rebuild) drops the send and says so:
        // send again under its epoch (a few times at most; the rebuild reaches the account anyway).
        for (int attempt = 0; attempt < 3; attempt++)
        {
            long shardEpoch = current.Count > 0 ? await shard.Add(group.Segment, group.Owner, MetricFacts.Encode(current), epoch) : epoch;
            ReleaseSentFacts();
            _state.State.MetricsEpoch = epoch;
            _state.State.MetricsPublished = true;
            MarkDirty();
            if (shardEpoch <= epoch)
            {
                return;
            }
            epoch = shardEpoch;
        }
    }

    public async Task Checkpoint()
    {
        if (_publishScheduled)
        {
            await PublishMetricFacts();
        }
        if (_dirtyState)
        {
            await WriteAsync();
        }
    }

    public async Task<StateHolders> CheckpointHolders()
    {
        await Checkpoint();
        return new StateHolders(_activation, _state.State.HandedOff);
    }

    /// <summary>
    /// Handed-off activations the state remembers. An account handed from activation to
    /// activation more often than this between two checkpoints (seconds apart: shedding under
    /// extreme memory pressure) costs a log replay, not correctness.
    /// </summary>
    public const int HandedOffKept = 8;

    /// <summary>
    /// How long after its last apply a deactivating activation still hands off: longer than a
    /// mark can wait for the checkpoint round that verifies it (the interval, a paced round of
    /// up to half of it, the next round) with room to spare. A checkpoint delayed beyond it
    /// (storage down) costs a log replay, not correctness.
    /// </summary>
    public static TimeSpan HandOffWindow(TimeSpan checkpointInterval) => 3 * checkpointInterval + TimeSpan.FromSeconds(10);

    /// <summary>Adds this activation to the handed-off ones before its last write.</summary>
    private void HandOff()
    {
        var handedOff = _state.State.HandedOff;
        int keep = Math.Min(handedOff.Length, HandedOffKept - 1);
        var next = new long[keep + 1];
        Array.Copy(handedOff, handedOff.Length - keep, next, 0, keep);
        next[keep] = _activation;
        _state.State.HandedOff = next;
    }

    private Scorecard Card() => _scorecards.Current;

    private void MarkDirty()
    {
        _dirtyState = true;
        _dirty.Mark(AccountId);
    }

    private async Task WriteAsync()
    {
        _state.State.Aggregates = _aggregates.ToBytes();
        _state.State.LatestSignals = _recentSignalCount == _recentSignals.Length ? _recentSignals : _recentSignals[.._recentSignalCount];
        await _state.WriteStateAsync();
        // Memory: the storage has the bytes; keeping them would hold a second copy of every account.
        _state.State.Aggregates = null;
        _state.State.LatestSignals = [];
        _dirtyState = false;
    }

    /// <summary>What shows as "the score" everywhere: the override if one is active, else the computed score.</summary>
    private (double? Score, string? Band, bool Overridden) Effective()
    {
        var s = _state.State;
        if (s.Override is { } o && o.ExpiresAt > _time.GetUtcNow())
        {
            double? score = o.Score ?? s.Score;
            string? band = o.Band ?? (o.Score is { } os ? HealthBandNames.Of(Card().Bands.BandOf(os)) : s.Band);
            return (score, band, true);
        }
        return (s.Score, s.Band, false);
    }

    /// <summary>
    /// Sends the listing entry to the index shard when anything it shows changed. One-way: the
    /// index and the watchlists behind it never slow the ingest path down.
    /// </summary>
    private Task ReportToIndex() => NextListing() is { } entry ? IndexShard().Upsert(entry) : Task.CompletedTask;

    private IAccountIndexShard IndexShard() => GrainFactory.Get<IAccountIndexShard>(AccountIndex.ShardOf(AccountId));

    /// <summary>The listing entry to send if anything it shows changed (with its new revision), else null.</summary>
    private IndexEntry? NextListing()
    {
        var s = _state.State;
        var p = s.Profile;
        var (score, band, overridden) = Effective();
        int today = DayNumber.Of(_time.GetUtcNow());
        var last = _lastReported;
        string? reason = overridden ? $"override: {s.Override!.Reason}" : (s.RecentChanges.Length > 0 ? s.RecentChanges[0].Reason : null);
        // Built with the last report's revision and, when the week's points are the same, its
        // trend array: the record's equality then says whether anything shown changed, without
        // copies to compare (this runs on every apply).
        var entry = new IndexEntry(
            AccountId, p?.Name, p?.Owner, p?.Segment, score, band, p?.RenewalDate, s.ScoreChangedAt,
            ScoreTrend.Delta(s.DailyCloses, s.FirstScore, s.Score, today, 7),
            ScoreTrend.Delta(s.DailyCloses, s.FirstScore, s.Score, today, 30),
            reason,
            ScoreTrend.Sparkline(s.DailyCloses, s.Score, today, last?.Trend),
            _aggregates.LastUsageAt,
            last?.Revision ?? 0,
            overridden,
            _aggregates.LatestDetractorAt,
            _aggregates.OldestUnansweredUrgentAt);
        if (entry == last)
        {
            return null;
        }
        // At least the clock's ticks, so revisions keep rising across restarts and replays.
        long revision = Math.Max(s.IndexRevision + 1, _time.GetUtcNow().UtcTicks);
        s.IndexRevision = revision;
        entry = entry with { Revision = revision };
        _lastReported = entry;
        return entry;
    }

    private AccountView BuildView()
    {
        var s = _state.State;
        var p = s.Profile;
        var counts = new SignalCounts(
            _aggregates.SignalCount(SignalType.Usage),
            _aggregates.SignalCount(SignalType.Ticket),
            _aggregates.SignalCount(SignalType.Survey),
            _aggregates.SignalCount(SignalType.Revenue),
            _aggregates.SignalCount(SignalType.Touchpoint),
            _aggregates.SignalCount(SignalType.SelfService));
        var components = s.Components.Length > 0 ? s.Components : EmptyComponents();
        var (score, band, overridden) = Effective();
        int today = DayNumber.Of(_time.GetUtcNow());
        ScoreChange[] changes = [.. s.RecentChanges.Select(c => c.ToScoreChange())];
        var health = new HealthView(
            score, band,
            s.ScorecardVersion == 0 ? _scorecards.Current.Version : s.ScorecardVersion,
            s.UpdatedAt, components, changes.FirstOrDefault(),
            s.Score, s.Band, overridden, overridden ? s.Override : null,
            ScoreTrend.Delta(s.DailyCloses, s.FirstScore, s.Score, today, 7),
            ScoreTrend.Delta(s.DailyCloses, s.FirstScore, s.Score, today, 30));
        return new AccountView(AccountId, p?.Name, p?.Owner, p?.Segment, p?.Seats ?? 0, p?.RenewalDate, counts, health,
            changes, _aggregates.LastSignalAt, [.. s.OverrideAudit], LatestFirst(_recentSignals.AsSpan(0, _recentSignalCount)));
    }

    private static SignalSummary[] LatestFirst(ReadOnlySpan<RecentSignal> recent)
    {
        var summaries = new SignalSummary[recent.Length];
        for (int i = 0; i < recent.Length; i++)
        {
            summaries[i] = recent[recent.Length - 1 - i].ToSummary();
        }
        return summaries;
    }

    private ComponentView[] EmptyComponents() =>
        _scorecards.Current.Components.Select(c => new ComponentView(c.Name, null, c.Weight, false)).ToArray();
}

public static class StorageNames
{
    public const string Accounts = "accounts";
    public const string Index = "index";
}
