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
    private WatchlistEntry[] _published = [];
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
            _published = Visible();
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
        return Task.FromResult<WatchlistSnapshot?>(new WatchlistSnapshot(Id, _definition.Name, _version, _published));
    }

    public async Task Define(WatchlistDefinition? definition)
    {
        if (definition is null)
        {
            _definition = null;
            _members.Clear();
            _byAccount.Clear();
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
        var visible = Visible();
        var changes = Diff(_published, visible);
        _window = PushPacing.WindowAfter(changes.Count);
        if (changes.Count == 0)
        {
            return; // nothing a subscriber can see has changed
        }
        _published = visible;
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

    /// <summary>Removes for rows that left the visible list, upserts for rows that are new or look different.</summary>
    public static List<WatchlistChange> Diff(WatchlistEntry[] before, WatchlistEntry[] after)
    {
        var changes = new List<WatchlistChange>();
        var old = new Dictionary<string, WatchlistEntry>(before.Length, StringComparer.Ordinal);
        foreach (var e in before)
        {
            old[e.AccountId] = e;
        }
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
