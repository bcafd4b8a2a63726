using CsMetrics.Contracts.Index;
using CsMetrics.Contracts.Watchlists;
using Microsoft.Extensions.Logging;

namespace CsMetrics.Grains.Watchlists;

/// <summary>
/// One watchlist, live. Index shards tell it which entries enter, change or leave its filter;
/// it keeps every member in sort order and publishes what changed in the visible top
/// <c>limit</c>. A change after a quiet spell is pushed at once; changes that follow within a
/// window of a push are gathered (latest wins per account) into the next one, so a busy list
/// pushes at most once per window (<see cref="PushPacing"/>). Each push is one delta with the next
/// version to every silo's hub bridge. Membership
/// is rebuilt from the index on activation, so it needs no storage of its own.
/// </summary>
public sealed class WatchlistGrain(TimeProvider time, ILogger<WatchlistGrain> logger) : Grain, IWatchlistGrain
{
    private static readonly TimeSpan ObserverRefresh = TimeSpan.FromSeconds(10);

    private WatchlistDefinition? _definition;
    private SortedSet<WatchlistEntry> _members = new(WatchlistRules.ComparerFor("score"));
    private readonly Dictionary<string, WatchlistEntry> _byAccount = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _revisions = new(StringComparer.Ordinal);
    /// <summary>What subscribers were last sent: the visible rows of the last push, by account.</summary>
    private Dictionary<string, WatchlistEntry> _published = new(StringComparer.Ordinal);
    /// <summary><see cref="_published"/> in sort order, built when a snapshot asks for it.</summary>
    private WatchlistEntry[]? _publishedSorted = [];
    /// <summary>Whether every member was visible at the last push (members ≤ limit).</summary>
    private bool _publishedAll = true;
    /// <summary>Accounts reported since the last push: with every member visible, the only rows that can have changed.</summary>
    private readonly HashSet<string> _touched = new(StringComparer.Ordinal);
    private long _version;
    private IGrainTimer? _flushTimer;
    private bool _flushScheduled;
    /// <summary>
    /// When the last push went out, in Environment.TickCount64 milliseconds: the window is real
    /// elapsed time, like the grain timer it schedules (timers are a background area on the
    /// system clock, docs/time.md), not the injected business clock.
    /// </summary>
    private long _lastFlushTicks = long.MinValue / 2;
    private TimeSpan _window = PushPacing.Window;
    private IWatchlistPushObserver[] _observers = [];
    private DateTime _observersFetched = DateTime.MinValue;

    private string Id => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // A new activation starts its versions far above anything an earlier one can have
        // reached, so bridges and clients see a jump (and re-subscribe), never a repeat.
        _version = time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
        var all = await GrainFactory.GetGrain<IWatchlistRegistry>(0).GetAll();
        var definition = all.FirstOrDefault(w => w.Id == Id);
        if (definition is not null)
        {
            await Fill(definition);
            Publish(Visible());
        }
        _flushTimer = this.RegisterGrainTimer(Flush, new GrainTimerCreationOptions(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan));
    }

    public Task<WatchlistSnapshot?> GetSnapshot()
    {
        if (_definition is null)
        {
            return Task.FromResult<WatchlistSnapshot?>(null);
        }
        // A subscriber may be on a node whose bridge registered after the observer list was
        // cached (a node that joined or restarted): fetch the list afresh on the next push, or
        // that node's clients would get nothing until the cache expired.
        _observersFetched = DateTime.MinValue;
        // Subscribers see what was last published, so their snapshot and the next delta line up.
        _publishedSorted ??= [.. _published.Values.Order(_members.Comparer)];
        return Task.FromResult<WatchlistSnapshot?>(new WatchlistSnapshot(Id, _definition.Name, _version, _publishedSorted));
    }

    public async Task Define(WatchlistDefinition? definition)
    {
        if (definition is null)
        {
            _definition = null;
            _members.Clear();
            _byAccount.Clear();
            _publishedAll = false; // every published row goes: compare in full
        }
        else
        {
            await Fill(definition);
        }
        // Publish now, not after the coalescing window: the PUT/DELETE that caused this returns
        // when Define does, and a GET right after it must show the new definition's entries.
        await Flush(CancellationToken.None);
    }

    public Task Update(IndexEntry entry, bool matches)
    {
        if (_definition is null)
        {
            return Task.CompletedTask;
        }
        return Record(entry, matches) ? FlushOrSchedule() : Task.CompletedTask;
    }

    public Task UpdateMany(IndexEntry[] entries, bool[] matches)
    {
        if (_definition is null)
        {
            return Task.CompletedTask;
        }
        bool any = false;
        for (int i = 0; i < entries.Length; i++)
        {
            any |= Record(entries[i], matches[i]);
        }
        return any ? FlushOrSchedule() : Task.CompletedTask;
    }

    /// <summary>Takes the entry in; false when it was older than what the list holds.</summary>
    private bool Record(IndexEntry entry, bool matches)
    {
        // Older reports are dropped; the same revision again is a date-driven re-check (the
        // sweep): its membership verdict may differ, and re-applying the same entry is harmless.
        if (_revisions.TryGetValue(entry.AccountId, out long seen) && seen > entry.Revision)
        {
            return false;
        }
        _revisions[entry.AccountId] = entry.Revision;
        _touched.Add(entry.AccountId);

        if (_byAccount.Remove(entry.AccountId, out var old))
        {
            _members.Remove(old);
        }
        if (matches)
        {
            var e = WatchlistRules.ToEntry(entry);
            _byAccount[e.AccountId] = e;
            _members.Add(e);
        }
        return true;
    }

    private async Task Fill(WatchlistDefinition definition)
    {
        _definition = definition;
        _publishedAll = false; // a new definition (filter, sort, limit): compare everything at the next push
        _members = new SortedSet<WatchlistEntry>(WatchlistRules.ComparerFor(definition.Sort));
        _byAccount.Clear();
        var shards = await Task.WhenAll(Enumerable.Range(0, AccountIndex.ShardCount)
            .Select(s => GrainFactory.GetGrain<IAccountIndexShard>(s).Match(definition)));
        foreach (var entry in shards.SelectMany(x => x))
        {
            if (_revisions.TryGetValue(entry.AccountId, out long seen) && seen > entry.Revision)
            {
                continue;
            }
            _revisions[entry.AccountId] = entry.Revision;
            var e = WatchlistRules.ToEntry(entry);
            _byAccount[e.AccountId] = e;
            _members.Add(e);
        }
    }

    private WatchlistEntry[] Visible() => _definition is null ? [] : _members.Take(_definition.Limit).ToArray();

    private Task FlushOrSchedule()
    {
        if (_flushScheduled)
        {
            return Task.CompletedTask; // joins the push already due
        }
        // Leading edge: quiet for a window already → push now, in this turn (a timer due at
        // once would add a hop and the timer's resolution); else at the end of the window that
        // started with the last push.
        var due = PushPacing.DueIn(Environment.TickCount64 - _lastFlushTicks, _window);
        if (due == TimeSpan.Zero)
        {
            return Flush(CancellationToken.None);
        }
        _flushScheduled = true;
        _flushTimer?.Change(due, Timeout.InfiniteTimeSpan);
        return Task.CompletedTask;
    }

    private async Task Flush(CancellationToken cancellationToken)
    {
        _flushScheduled = false;
        _lastFlushTicks = Environment.TickCount64;
        var changes = NextChanges();
        _window = PushPacing.WindowAfter(changes.Count);
        if (changes.Count == 0)
        {
            return; // nothing a subscriber can see has changed
        }
        _version++;
        var delta = new WatchlistDelta(Id, _version, [.. changes]);

        if (time.GetUtcNow().UtcDateTime - _observersFetched > ObserverRefresh)
        {
            _observers = await GrainFactory.GetGrain<IPushDirectory>(0).GetObservers();
            _observersFetched = time.GetUtcNow().UtcDateTime;
        }
        foreach (var observer in _observers)
        {
            try
            {
                await observer.OnWatchlistChanged(delta);
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Push of watchlist {Watchlist} v{Version} to a silo failed", Id, _version);
                _observersFetched = DateTime.MinValue;
            }
        }
    }

    /// <summary>
    /// What changed for subscribers since the last push, and takes it as published. When every
    /// member was and still is visible (members ≤ limit), only the accounts reported since can
    /// have changed: they are compared one by one. Otherwise (a list cut at its limit, where one
    /// account moving can push another in or out, or a new definition) the visible rows are
    /// compared in full. A full comparison of a 1,000-row list on every push was a quarter of the
    /// server's CPU at 2,000 signals/s with ten such lists.
    /// </summary>
    private List<WatchlistChange> NextChanges()
    {
        int limit = _definition?.Limit ?? 0;
        List<WatchlistChange> changes;
        if (_publishedAll && _members.Count <= limit)
        {
            changes = [];
            foreach (string id in _touched)
            {
                _published.TryGetValue(id, out var before);
                if (_byAccount.TryGetValue(id, out var now))
                {
                    if (before is null || !before.LooksSame(now))
                    {
                        changes.Add(new WatchlistChange("upsert", id, now, before?.Owner));
                        _published[id] = now;
                    }
                }
                else if (before is not null)
                {
                    changes.Add(new WatchlistChange("remove", id, null, before.Owner));
                    _published.Remove(id);
                }
            }
            // The order a full comparison gives: upserts in list order, then removes.
            changes.Sort((a, b) => (a.Entry, b.Entry) switch
            {
                (null, null) => string.CompareOrdinal(a.AccountId, b.AccountId),
                (null, _) => 1,
                (_, null) => -1,
                var (x, y) => _members.Comparer.Compare(x, y),
            });
            if (changes.Count > 0)
            {
                _publishedSorted = null;
            }
        }
        else
        {
            var visible = Visible();
            changes = Diff(_published, visible);
            Publish(visible);
        }
        _touched.Clear();
        _publishedAll = _definition is not null && _members.Count <= limit;
        return changes;
    }

    private void Publish(WatchlistEntry[] visible)
    {
        _published = new Dictionary<string, WatchlistEntry>(visible.Length, StringComparer.Ordinal);
        foreach (var e in visible)
        {
            _published[e.AccountId] = e;
        }
        _publishedSorted = visible;
    }

    /// <summary>
    /// Removes for rows that left the visible list, upserts for rows that are new or look
    /// different. Consumes <paramref name="old"/> (what was published, replaced right after).
    /// </summary>
    private static List<WatchlistChange> Diff(Dictionary<string, WatchlistEntry> old, WatchlistEntry[] after)
    {
        var changes = new List<WatchlistChange>();
        foreach (var e in after)
        {
            if (!old.Remove(e.AccountId, out var previous) || !previous.LooksSame(e))
            {
                changes.Add(new WatchlistChange("upsert", e.AccountId, e, previous?.Owner));
            }
        }
        foreach (var (gone, previous) in old)
        {
            changes.Add(new WatchlistChange("remove", gone, null, previous.Owner));
        }
        return changes;
    }
}
