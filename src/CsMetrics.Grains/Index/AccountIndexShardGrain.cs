using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Index;
using CsMetrics.Contracts.Watchlists;
using CsMetrics.Grains.Accounts;
using Microsoft.Extensions.Logging;

namespace CsMetrics.Grains.Index;

[GenerateSerializer, Alias("csm.IndexShardState")]
public sealed class IndexShardState
{
    [Id(0)] public List<IndexEntry> Entries { get; set; } = [];
}

/// <summary>
/// One shard of the cross-account listing: entries by id plus an ordered set by (score, id), so
/// a "worst first" page is a walk from the start of the set, not a sort. Checkpointed with the
/// accounts by the checkpointer; account grains re-report on every visible change.
/// The shard is also where watchlist membership is decided: it sees every entry before and
/// after a change, so it tells each watchlist whose filter the entry enters, leaves or stays
/// in — membership is maintained incrementally, never by re-querying accounts.
/// </summary>
// Kept alive: a fixed number of shards holds the whole portfolio, and every live view reads
// them. Shedding one under memory pressure (MemoryOptions) frees nothing for long: it would be
// reloaded with the next account that reports, after writing and reading its whole state.
[KeepAlive]
public sealed class AccountIndexShardGrain(
    [PersistentState("shard", StorageNames.Index)] IPersistentState<IndexShardState> state,
    TimeProvider time,
    ILogger<AccountIndexShardGrain> logger)
    : Grain, IAccountIndexShard
{
    private readonly Dictionary<string, IndexEntry> _byId = new(StringComparer.Ordinal);
    private readonly SortedSet<IndexEntry> _ordered = new(WorstFirst.Instance);
    private WatchlistDefinition[] _watchlists = [];
    private bool _dirty;
    /// <summary>When the sweep last woke each account (memory only: after a restart everyone is due once).</summary>
    private readonly Dictionary<string, DateTimeOffset> _swept = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _rescoredVersion = new(StringComparer.Ordinal);
    private DateOnly _lastSweepDay;
    private DateTimeOffset _lastTickRound;

    /// <summary>Accounts woken at once by a sweep or rescore chunk.</summary>
    private const int Parallelism = 32;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (var e in state.State.Entries)
        {
            _byId[e.AccountId] = e;
            _ordered.Add(e);
        }
        _watchlists = await GrainFactory.GetGrain<IWatchlistRegistry>(0).GetAll();
    }

    public Task SetWatchlists(WatchlistDefinition[] watchlists)
    {
        _watchlists = watchlists;
        return Task.CompletedTask;
    }

    public Task<IndexEntry[]> Match(WatchlistDefinition watchlist)
    {
        var today = Today();
        return Task.FromResult(_byId.Values.Where(e => WatchlistRules.Matches(watchlist.Filter, e, today)).ToArray());
    }

    private DateOnly Today() => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await Checkpoint();
    }

    public Task Upsert(IndexEntry entry) => UpsertMany([entry]);

    /// <summary>
    /// Takes the entries in and passes what changed on: one message per watchlist concerned and
    /// one to the playbook evaluator for the whole batch (all one-way; the watchlist grains drop
    /// what changes nothing they show, the evaluator keeps each account's condition state).
    /// </summary>
    public Task UpsertMany(IndexEntry[] entries)
    {
        var today = Today();
        List<IndexChange>? changes = null;
        Dictionary<string, (List<IndexEntry> Entries, List<bool> Matches)>? perWatchlist = null;
        foreach (var entry in entries)
        {
            if (_byId.TryGetValue(entry.AccountId, out var old))
            {
                if (old.Revision >= entry.Revision)
                {
                    continue; // a stale report overtaken by a newer one
                }
                _ordered.Remove(old);
            }
            _byId[entry.AccountId] = entry;
            _ordered.Add(entry);
            _dirty = true;

            foreach (var w in _watchlists)
            {
                bool was = old is not null && WatchlistRules.Matches(w.Filter, old, today);
                bool now = WatchlistRules.Matches(w.Filter, entry, today);
                if (was || now)
                {
                    perWatchlist ??= new(StringComparer.Ordinal);
                    if (!perWatchlist.TryGetValue(w.Id, out var updates))
                    {
                        perWatchlist[w.Id] = updates = ([], []);
                    }
                    updates.Entries.Add(entry);
                    updates.Matches.Add(now);
                }
            }
            (changes ??= []).Add(new IndexChange(old, entry));
        }
        if (perWatchlist is not null)
        {
            foreach (var (id, updates) in perWatchlist)
            {
                var watchlist = GrainFactory.Get<IWatchlistGrain>(id);
                (updates.Entries.Count == 1
                    ? watchlist.Update(updates.Entries[0], updates.Matches[0])
                    : watchlist.UpdateMany([.. updates.Entries], [.. updates.Matches])).Ignore();
            }
        }
        if (changes is not null)
        {
            // Playbooks (docs/playbooks.md).
            var evaluator = GrainFactory.Get<Contracts.Playbooks.IPlaybookEvaluator>(this.GetPrimaryKeyLong());
            (changes.Count == 1 ? evaluator.OnChange(changes[0].Old, changes[0].Entry) : evaluator.OnChanges([.. changes])).Ignore();
        }
        return Task.CompletedTask;
    }

    public Task<IndexPage> Query(IndexQuery query)
    {
        var page = new List<IndexEntry>(Math.Min(query.Take, 1024));
        int total = 0;
        foreach (var e in _ordered)
        {
            if (query.Owner is { } owner && e.Owner != owner)
            {
                continue;
            }
            if (query.Segment is { } segment && e.Segment != segment)
            {
                continue;
            }
            if (query.Band is { } band && e.Band != band)
            {
                continue;
            }
            total++;
            if (page.Count < query.Take)
            {
                page.Add(e);
            }
        }
        return Task.FromResult(new IndexPage([.. page], total));
    }

    public Task<int> Count() => Task.FromResult(_byId.Count);

    public Task<IndexEntry[]> TimedEntries() => Task.FromResult(_byId.Values.Where(e => e.HasTimedFacts).ToArray());

    public Task<string[]> Sample(int max)
    {
        if (max >= _byId.Count)
        {
            return Task.FromResult(_byId.Keys.ToArray());
        }
        // A different hash from the shard's: within a shard the shard hash is the same residue for all.
        return Task.FromResult(_byId.Keys.OrderBy(SampleHash).ThenBy(id => id, StringComparer.Ordinal).Take(max).ToArray());
    }

    private static uint SampleHash(string id) => System.IO.Hashing.XxHash32.HashToUInt32(System.Text.Encoding.UTF8.GetBytes(id));

    public async Task<SweepResult> Sweep(TimeSpan interval, int max, DateTimeOffset? roundStart = null)
    {
        var now = time.GetUtcNow();
        var round = roundStart ?? now;
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        if (today != _lastSweepDay)
        {
            RecheckDateDependentWatchlists(_lastSweepDay, today);
            _lastSweepDay = today;
        }

        var due = new List<string>();
        int remaining = 0;
        foreach (var e in _byId.Values)
        {
            var last = e.UpdatedAt ?? DateTimeOffset.MinValue;
            if (_swept.TryGetValue(e.AccountId, out var swept) && swept > last)
            {
                last = swept;
            }
            if (now - last < interval || (_swept.TryGetValue(e.AccountId, out var thisRound) && thisRound >= round))
            {
                continue;
            }
            if (due.Count < max)
            {
                due.Add(e.AccountId);
            }
            else
            {
                remaining++;
            }
        }
        await Bounded.ForEachAsync(due, Parallelism, id => GrainFactory.GetGrain<IAccountGrain>(id).Reevaluate());
        foreach (var id in due)
        {
            _swept[id] = now;
        }
        if (round != _lastTickRound)
        {
            // Once per sweep round: time-based playbook triggers (an urgent ticket's wait) start with
            // time alone. Awaited, so a round is over when its ticks are; a failed tick is retried next round.
            _lastTickRound = round;
            try
            {
                await GrainFactory.GetGrain<Contracts.Playbooks.IPlaybookEvaluator>(this.GetPrimaryKeyLong()).Tick();
            }
            catch (Exception ex)
            {
                _lastTickRound = default;
                logger.LogWarning(ex, "Playbook tick of shard {Shard} failed; the next sweep round retries", this.GetPrimaryKeyLong());
            }
        }
        return new SweepResult(due.Count, remaining);
    }

    public async Task<SweepResult> Rescore(int version, int max)
    {
        var todo = new List<string>();
        int remaining = 0;
        foreach (var id in _byId.Keys)
        {
            if (_rescoredVersion.TryGetValue(id, out int v) && v >= version)
            {
                continue;
            }
            if (todo.Count < max)
            {
                todo.Add(id);
            }
            else
            {
                remaining++;
            }
        }
        await Bounded.ForEachAsync(todo, Parallelism, id => GrainFactory.GetGrain<IAccountGrain>(id).Reevaluate(version));
        foreach (var id in todo)
        {
            _rescoredVersion[id] = version;
        }
        return new SweepResult(todo.Count, remaining);
    }

    public Task<string[]> AccountIds() => Task.FromResult(_byId.Keys.ToArray());

    public async Task<ScorePreview[]> Preview(string proposedScorecardJson)
    {
        var results = new ScorePreview[_byId.Count];
        int i = 0;
        var ids = _byId.Keys.ToArray();
        await Bounded.ForEachAsync(ids, Parallelism, async id =>
        {
            var preview = await GrainFactory.GetGrain<IAccountGrain>(id).PreviewScore(proposedScorecardJson);
            results[Interlocked.Increment(ref i) - 1] = preview;
        });
        return results;
    }

    /// <summary>Renewal windows and silence move with the date alone: tell watchlists whose membership flipped.</summary>
    private void RecheckDateDependentWatchlists(DateOnly before, DateOnly today)
    {
        foreach (var w in _watchlists)
        {
            if (!WatchlistRules.DependsOnDate(w.Filter))
            {
                continue;
            }
            foreach (var e in _byId.Values)
            {
                bool was = before != default && WatchlistRules.Matches(w.Filter, e, before);
                bool now = WatchlistRules.Matches(w.Filter, e, today);
                if (was != now || (before == default && now))
                {
                    GrainFactory.GetGrain<IWatchlistGrain>(w.Id).Update(e, now).Ignore();
                }
            }
        }
    }

    public async Task Checkpoint()
    {
        if (!_dirty)
        {
            return;
        }
        state.State.Entries = [.. _byId.Values];
        await state.WriteStateAsync();
        _dirty = false;
    }
}

/// <summary>Scored accounts by score ascending, then unscored ones; ties by id for a stable order.</summary>
public sealed class WorstFirst : IComparer<IndexEntry>
{
    public static readonly WorstFirst Instance = new();

    public int Compare(IndexEntry? x, IndexEntry? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }
        if (x is null)
        {
            return -1;
        }
        if (y is null)
        {
            return 1;
        }
        int c = (x.Score ?? double.MaxValue).CompareTo(y.Score ?? double.MaxValue);
        return c != 0 ? c : string.CompareOrdinal(x.AccountId, y.AccountId);
    }
}
