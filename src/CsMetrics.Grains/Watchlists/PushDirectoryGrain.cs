using CsMetrics.Contracts.Watchlists;

namespace CsMetrics.Grains.Watchlists;

/// <summary>
/// Where every silo's hub bridge registers, the way Orleans' GPS tracker sample finds its
/// per-silo hub pushers. Registrations expire unless renewed, so a dead silo drops out.
/// Kept alive: the registrations live only here, and a directory shed under memory pressure
/// (<see cref="MemoryOptions"/>) would leave watchlists without bridges until the next renewal.
/// </summary>
[KeepAlive]
public sealed class PushDirectoryGrain(TimeProvider time) : Grain, IPushDirectory
{
    public static readonly TimeSpan Expiry = TimeSpan.FromMinutes(2);

    private readonly Dictionary<IWatchlistPushObserver, DateTimeOffset> _observers = [];

    public Task Register(IWatchlistPushObserver observer)
    {
        _observers[observer] = time.GetUtcNow();
        return Task.CompletedTask;
    }

    public Task Unregister(IWatchlistPushObserver observer)
    {
        _observers.Remove(observer);
        return Task.CompletedTask;
    }

    public Task<IWatchlistPushObserver[]> GetObservers()
    {
        var cutoff = time.GetUtcNow() - Expiry;
        return Task.FromResult(_observers.Where(o => o.Value >= cutoff).Select(o => o.Key).ToArray());
    }
}
