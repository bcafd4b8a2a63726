using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Index;
using CsMetrics.Contracts.Signals;
using CsMetrics.Grains.Checkpoints;
using CsMetrics.Grains.Scorecards;
using CsMetrics.Scoring.Aggregates;
using CsMetrics.Scoring.Health;
using CsMetrics.Scoring.Scorecards;
using CsMetrics.Scoring.Signals;
using Microsoft.Extensions.Logging;

namespace CsMetrics.Grains.Accounts;

/// <summary>
/// One customer account: its aggregates, its health and why it last changed. Applies signals in
/// memory and rescoring on each; state is written by the checkpointer (and on deactivation), the
/// ingest log covers what happened since. Registry changes are written at once.
/// </summary>
public sealed class AccountGrain : Grain, IAccountGrain
{
    public const int RecentChangesKept = 20;

    private readonly IPersistentState<AccountGrainState> _state;
    private readonly ScorecardRegistry _scorecards;
    private readonly DirtyAccounts _dirty;
    private readonly TimeProvider _time;
    private readonly ILogger<AccountGrain> _logger;

    private AccountAggregates _aggregates = new();
    private ComponentScore[] _scratch = [];
    private bool _dirtyState;
    private IndexEntry? _lastReported;

    public AccountGrain(
        [PersistentState("account", StorageNames.Accounts)] IPersistentState<AccountGrainState> state,
        ScorecardRegistry scorecards,
        DirtyAccounts dirty,
        TimeProvider time,
        ILogger<AccountGrain> logger)
    {
        _state = state;
        _scorecards = scorecards;
        _dirty = dirty;
        _time = time;
        _logger = logger;
    }

    private string AccountId => this.GetPrimaryKeyString();

    private bool Exists => _state.RecordExists || _state.State.Profile is not null || _aggregates.LastSignalAt is not null;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (_state.State.Aggregates is { Length: > 0 } bytes)
        {
            _aggregates = AccountAggregates.FromBytes(bytes);
        }
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_dirtyState)
        {
            await WriteAsync();
        }
    }

    public async Task<ApplyResult> Apply(SignalBatch batch)
    {
        var card = _scorecards.Current;
        var now = _time.GetUtcNow();
        if (_scratch.Length < card.Components.Count)
        {
            _scratch = new ComponentScore[card.Components.Count];
        }

        int accepted = 0, duplicates = 0;
        foreach (var signal in batch.Signals)
        {
            if (!_aggregates.Apply(signal, now))
            {
                duplicates++;
                continue;
            }
            accepted++;
            Rescore(card, signal, now);
        }

        if (accepted > 0)
        {
            _dirtyState = true;
            _dirty.Mark(AccountId);
            await ReportToIndex();
        }
        return new ApplyResult(accepted, duplicates);
    }

    /// <summary>Re-evaluates the score; records an explanation when anything visible moved. True if score or band changed.</summary>
    private bool Rescore(Scorecard card, Signal? cause, DateTimeOffset now)
    {
        var state = _state.State;
        var health = HealthScorer.Evaluate(card, _aggregates, state.Profile?.Seats ?? 0, now, _scratch);
        double? after = health.HasScore ? health.Score : null;
        string? bandAfter = health.HasScore ? HealthBandNames.Of(health.Band) : null;

        var previous = state.Components;
        var components = new ComponentView[card.Components.Count];
        bool componentsChanged = previous.Length != components.Length || state.ScorecardVersion != card.Version;
        for (int i = 0; i < components.Length; i++)
        {
            ref readonly ComponentScore c = ref _scratch[i];
            components[i] = new ComponentView(card.Components[i].Name, c.Included ? c.Score : null, c.Weight, c.Included);
            if (!componentsChanged && previous[i] != components[i])
            {
                componentsChanged = true;
            }
        }

        bool scoreChanged = after != state.Score || bandAfter != state.Band;
        state.UpdatedAt = now;
        if (!scoreChanged && !componentsChanged)
        {
            return false;
        }

        var changes = new ComponentChange[components.Length];
        string? biggest = null;
        double biggestDelta = -1;
        double? biggestBefore = null, biggestAfter = null;
        for (int i = 0; i < components.Length; i++)
        {
            double? before = FindComponent(previous, components[i].Name);
            changes[i] = new ComponentChange(components[i].Name, before, components[i].Score);
            double delta = Math.Abs((components[i].Score ?? 0) - (before ?? 0));
            if (before != components[i].Score && delta > biggestDelta)
            {
                biggest = components[i].Name;
                biggestDelta = delta;
                biggestBefore = before;
                biggestAfter = components[i].Score;
            }
        }

        var change = new ScoreChange(
            cause?.Id,
            cause is null ? "reevaluation" : SignalNames.Of(cause.Type),
            state.Score,
            after,
            state.Band,
            bandAfter,
            changes,
            now,
            ChangeReason.Describe(cause, biggest, biggestBefore, biggestAfter));

        var recent = state.RecentChanges;
        int keep = Math.Min(recent.Length, RecentChangesKept - 1);
        var next = new ScoreChange[keep + 1];
        next[0] = change;
        Array.Copy(recent, 0, next, 1, keep);
        state.RecentChanges = next;
        state.Components = components;
        state.Score = after;
        state.Band = bandAfter;
        state.ScorecardVersion = card.Version;
        if (scoreChanged)
        {
            state.ScoreChangedAt = now;
            if (after is { } score)
            {
                state.FirstScore ??= score;
                ScoreTrend.RecordClose(state.DailyCloses, Scoring.Aggregates.DayNumber.Of(now), score);
            }
        }
        return scoreChanged;
    }

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
        _state.State.Profile = profile;
        // Seats feed engagement: rescore so the registry change shows at once.
        var card = _scorecards.Current;
        if (_scratch.Length < card.Components.Count)
        {
            _scratch = new ComponentScore[card.Components.Count];
        }
        if (_aggregates.LastSignalAt is not null)
        {
            Rescore(card, null, _time.GetUtcNow());
        }
        // Report first: the write then also persists the revision just reported, so a
        // reactivated grain never reuses it (the shard would drop that report as stale).
        await ReportToIndex();
        await WriteAsync();
        return BuildView();
    }

    public Task<AccountView?> GetView() => Task.FromResult(Exists ? BuildView() : null);

    public async Task Checkpoint()
    {
        if (_dirtyState)
        {
            await WriteAsync();
        }
    }

    private async Task WriteAsync()
    {
        _state.State.Aggregates = _aggregates.ToBytes();
        await _state.WriteStateAsync();
        _dirtyState = false;
    }

    /// <summary>
    /// Sends the listing entry to the index shard when anything it shows changed. One-way: the
    /// index and the watchlists behind it never slow the ingest path down.
    /// </summary>
    private Task ReportToIndex()
    {
        var s = _state.State;
        var p = s.Profile;
        int today = Scoring.Aggregates.DayNumber.Of(_time.GetUtcNow());
        var entry = new IndexEntry(
            AccountId, p?.Name, p?.Owner, p?.Segment, s.Score, s.Band, p?.RenewalDate, s.ScoreChangedAt,
            ScoreTrend.Delta(s.DailyCloses, s.FirstScore, s.Score, today, 7),
            ScoreTrend.Delta(s.DailyCloses, s.FirstScore, s.Score, today, 30),
            s.RecentChanges.FirstOrDefault()?.Reason,
            ScoreTrend.Sparkline(s.DailyCloses, s.Score, today),
            _aggregates.LastUsageAt,
            0);
        if (_lastReported is not null && SameListing(_lastReported, entry))
        {
            return Task.CompletedTask;
        }
        // At least the clock's ticks, so revisions keep rising across restarts and replays.
        long revision = Math.Max(s.IndexRevision + 1, _time.GetUtcNow().UtcTicks);
        s.IndexRevision = revision;
        entry = entry with { Revision = revision };
        _lastReported = entry;
        return GrainFactory.GetGrain<IAccountIndexShard>(AccountIndex.ShardOf(AccountId)).Upsert(entry);
    }

    private static bool SameListing(IndexEntry a, IndexEntry b) =>
        a with { Revision = 0, Trend = b.Trend } == b with { Revision = 0 } && a.Trend.AsSpan().SequenceEqual(b.Trend);

    private AccountView BuildView()
    {
        var s = _state.State;
        var p = s.Profile;
        var counts = new SignalCounts(
            _aggregates.SignalCount(SignalType.Usage),
            _aggregates.SignalCount(SignalType.Ticket),
            _aggregates.SignalCount(SignalType.Survey),
            _aggregates.SignalCount(SignalType.Revenue));
        var components = s.Components.Length > 0 ? s.Components : EmptyComponents();
        var health = new HealthView(s.Score, s.Band, s.ScorecardVersion == 0 ? _scorecards.Current.Version : s.ScorecardVersion, s.UpdatedAt, components, s.RecentChanges.FirstOrDefault());
        return new AccountView(AccountId, p?.Name, p?.Owner, p?.Segment, p?.Seats ?? 0, p?.RenewalDate, counts, health, s.RecentChanges, _aggregates.LastSignalAt);
    }

    private ComponentView[] EmptyComponents() =>
        _scorecards.Current.Components.Select(c => new ComponentView(c.Name, null, c.Weight, false)).ToArray();
}

public static class StorageNames
{
    public const string Accounts = "accounts";
    public const string Index = "index";
}
