using Orleans.Concurrency;
using CsMetrics.Contracts.Index;

namespace CsMetrics.Contracts.Watchlists;

/// <summary>The saved watchlists (one grain, key 0): built-ins plus the team's own.</summary>
[Alias("csm.IWatchlistRegistry")]
public interface IWatchlistRegistry : IGrainWithIntegerKey
{
    [Alias("GetAll"), AlwaysInterleave]
    Task<WatchlistDefinition[]> GetAll();

    /// <summary>Creates or replaces a watchlist; false if the id is a built-in.</summary>
    [Alias("Put")]
    Task<bool> Put(WatchlistDefinition definition);

    /// <summary>Null if unknown, false if built-in, true when deleted.</summary>
    [Alias("Delete")]
    Task<bool?> Delete(string id);
}

/// <summary>
/// One watchlist's live membership (key = watchlist id): every matching entry in sort order,
/// the visible top <c>limit</c>, and a version that rises by one per published delta.
/// </summary>
[Alias("csm.IWatchlistGrain")]
public interface IWatchlistGrain : IGrainWithStringKey
{
    /// <summary>An index entry changed: it now matches (<paramref name="matches"/>) or no longer does.</summary>
    [Alias("Update"), OneWay]
    Task Update(IndexEntry entry, bool matches);

    /// <summary>Several entries at once, in order; <paramref name="matches"/>[i] belongs to <paramref name="entries"/>[i].</summary>
    [Alias("UpdateMany"), OneWay]
    Task UpdateMany([Immutable] IndexEntry[] entries, [Immutable] bool[] matches);

    [Alias("GetSnapshot")]
    Task<WatchlistSnapshot?> GetSnapshot();

    /// <summary>The definition changed (or was deleted, when null): refill from the index.</summary>
    [Alias("Define")]
    Task Define(WatchlistDefinition? definition);
}

/// <summary>A silo's bridge to its SignalR clients.</summary>
[Alias("csm.IWatchlistPushObserver")]
public interface IWatchlistPushObserver : IGrainObserver
{
    [Alias("OnWatchlistChanged"), OneWay]
    Task OnWatchlistChanged(WatchlistDelta delta);

    /// <summary>A playbook fired: the alert feed pushes it through the same per-silo bridge.</summary>
    [Alias("OnAlertFired"), OneWay]
    Task OnAlertFired(Playbooks.FiredAlert alert);
}

/// <summary>Where each silo's bridge registers (one grain, key 0); watchlist grains push to all of them.</summary>
[Alias("csm.IPushDirectory")]
public interface IPushDirectory : IGrainWithIntegerKey
{
    [Alias("Register")]
    Task Register(IWatchlistPushObserver observer);

    [Alias("Unregister")]
    Task Unregister(IWatchlistPushObserver observer);

    [Alias("GetObservers"), AlwaysInterleave]
    Task<IWatchlistPushObserver[]> GetObservers();
}
