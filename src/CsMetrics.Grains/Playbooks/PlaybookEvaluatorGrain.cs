using CsMetrics.Contracts.Index;
using CsMetrics.Contracts.Playbooks;
using CsMetrics.Contracts.Watchlists;
using CsMetrics.Grains.Accounts;

namespace CsMetrics.Grains.Playbooks;

/// <summary>A (playbook, account) pair whose condition holds or whose cooldown still runs.</summary>
[GenerateSerializer, Immutable, Alias("csm.PlaybookCondition")]
public sealed record PlaybookCondition(string PlaybookId, string AccountId, bool Active, DateTimeOffset? LastFiredAt);

[GenerateSerializer, Alias("csm.PlaybookEvaluatorState")]
public sealed class PlaybookEvaluatorState
{
    [Id(0)] public List<PlaybookCondition> Conditions { get; set; } = [];

    /// <summary>When time-based triggers were last re-evaluated (<see cref="IPlaybookEvaluator.Tick"/>).</summary>
    [Id(1)] public DateTimeOffset? LastTickAt { get; set; }
}

/// <summary>
/// Evaluates the playbooks for one index shard's accounts on every listing change. Edge-triggered:
/// a playbook fires when its condition starts (false → true) and not again until it has ended
/// and started anew; a per-account cooldown also suppresses re-fires.
/// </summary>
/// <remarks>
/// Only pairs whose condition holds or whose cooldown runs are kept (and persisted, on each
/// change of that set), so the state is bounded by the accounts in a playbook's condition, at
/// most <see cref="MaxConditions"/>. For an account it holds nothing on, the evaluator takes the
/// condition on the shard's previous entry as "before", so a playbook created while an account
/// is already red does not fire until the account leaves red and falls again.
/// </remarks>
public sealed class PlaybookEvaluatorGrain(
    [PersistentState("playbook-conditions", StorageNames.Index)] IPersistentState<PlaybookEvaluatorState> state,
    TimeProvider time)
    : Grain, IPlaybookEvaluator
{
    public const int MaxConditions = 100_000;
    private static readonly TimeSpan WatchlistRefresh = TimeSpan.FromSeconds(5);

    private PlaybookDefinition[] _playbooks = [];
    private readonly Dictionary<(string Playbook, string Account), PlaybookCondition> _conditions = [];
    private WatchlistDefinition[] _watchlists = [];
    private DateTimeOffset _watchlistsAt = DateTimeOffset.MinValue;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (var c in state.State.Conditions)
        {
            _conditions[(c.PlaybookId, c.AccountId)] = c;
        }
        _playbooks = await GrainFactory.GetGrain<IPlaybookRegistry>(0).GetAll();
    }

    public async Task SetPlaybooks(PlaybookDefinition[] playbooks)
    {
        _playbooks = playbooks;
        var ids = playbooks.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        int before = _conditions.Count;
        foreach (var key in _conditions.Keys.Where(k => !ids.Contains(k.Playbook)).ToList())
        {
            _conditions.Remove(key);
        }
        _watchlistsAt = DateTimeOffset.MinValue;
        if (_conditions.Count != before)
        {
            await Save();
        }
    }

    public Task OnChange(IndexEntry? old, IndexEntry entry) => OnChanges([new IndexChange(old, entry)]);

    public async Task OnChanges(IndexChange[] changes)
    {
        if (_playbooks.Length == 0)
        {
            return;
        }
        var now = time.GetUtcNow();
        if (_playbooks.Any(p => p.Trigger.Type == PlaybookRules.EntersWatchlist) && now - _watchlistsAt > WatchlistRefresh)
        {
            _watchlists = await GrainFactory.GetGrain<IWatchlistRegistry>(0).GetAll();
            _watchlistsAt = now;
        }
        bool changed = false;
        foreach (var (old, entry) in changes)
        {
            foreach (var p in _playbooks)
            {
                changed |= Evaluate(p, old, entry, now, PlaybookRules.IsTimed(p.Trigger) ? TimedBefore(old, now) : now);
            }
        }
        if (changed)
        {
            await Save(); // once per batch
        }
    }

    public async Task Tick()
    {
        var timed = _playbooks.Where(p => PlaybookRules.IsTimed(p.Trigger)).ToArray();
        if (timed.Length == 0)
        {
            return;
        }
        var now = time.GetUtcNow();
        // Before the first tick nothing is known of earlier times: conditions already true now count as under way.
        var previousTick = state.State.LastTickAt ?? now;
        var entries = await GrainFactory.GetGrain<IAccountIndexShard>(this.GetPrimaryKeyLong()).TimedEntries();
        foreach (var entry in entries)
        {
            foreach (var p in timed)
            {
                // Nothing changed in the entry: "before" is the same entry as of the previous tick. Only an
                // urgent ticket's wait starts with time; a detractor episode can only end with it.
                Evaluate(p, entry, entry, now, p.Trigger.Type == PlaybookRules.UrgentUnanswered ? previousTick : now);
            }
        }
        state.State.LastTickAt = now;
        await Save();
    }

    /// <summary>
    /// When a timed condition was last looked at for an account the evaluator holds nothing on:
    /// the later of the previous entry's report (its revision is at least its clock ticks) and
    /// the last tick, never after now. Judging the previous entry at "now" instead would count
    /// a wait that ran out since then as already under way, and the episode would never fire.
    /// </summary>
    private DateTimeOffset TimedBefore(IndexEntry? old, DateTimeOffset now)
    {
        long ticks = Math.Max(old?.Revision ?? 0, state.State.LastTickAt?.UtcTicks ?? 0);
        return new DateTimeOffset(Math.Clamp(ticks, DateTimeOffset.MinValue.UtcTicks, now.UtcTicks), TimeSpan.Zero);
    }

    /// <summary>
    /// One playbook on one account: fires when the condition starts (and the cooldown allows),
    /// keeps or drops the pair's state. <paramref name="heldAt"/> is when <paramref name="old"/>
    /// is judged for an account with no state. True if the kept state changed.
    /// </summary>
    private bool Evaluate(PlaybookDefinition p, IndexEntry? old, IndexEntry entry, DateTimeOffset now, DateTimeOffset heldAt)
    {
        var key = (p.Id, entry.AccountId);
        bool holds = PlaybookRules.Holds(p.Trigger, entry, now, _watchlists);
        bool had = _conditions.TryGetValue(key, out var c);
        bool held = had ? c!.Active : old is not null && PlaybookRules.Holds(p.Trigger, old, heldAt, _watchlists);
        var lastFired = c?.LastFiredAt;
        if (holds && !held && PlaybookRules.StartCounts(p.Trigger, old)
            && (lastFired is not { } last || now - last >= TimeSpan.FromMinutes(p.CooldownMinutes)))
        {
            lastFired = now;
            var firing = new PlaybookFiring(
                p.Id, p.Name, entry.AccountId, entry.Name, entry.Owner, p.Trigger, entry.Score, entry.Band,
                old?.Score, old?.Band, entry.Reason, now);
            GrainFactory.GetGrain<IPlaybookGrain>(p.Id).Fire(p, firing).Ignore();
        }
        bool keep = holds || (lastFired is { } f && now - f < TimeSpan.FromMinutes(p.CooldownMinutes));
        if (keep && (!had || c!.Active != holds || c.LastFiredAt != lastFired))
        {
            if (had || _conditions.Count < MaxConditions)
            {
                _conditions[key] = new PlaybookCondition(p.Id, entry.AccountId, holds, lastFired);
                return true;
            }
        }
        else if (!keep && had)
        {
            _conditions.Remove(key);
            return true;
        }
        return false;
    }

    private Task Save()
    {
        state.State.Conditions = [.. _conditions.Values];
        return state.WriteStateAsync();
    }
}
