using System.Threading.Channels;
using CsMetrics.Contracts.Watchlists;
using CsMetrics.Grains.Ingest;
using Microsoft.AspNetCore.SignalR;

namespace CsMetrics.Server.Live;

/// <summary>
/// This silo's link from watchlist grains (and the alert feed) to its SignalR connections (the per-silo bridge of
/// Orleans' GPS tracker sample). It registers itself in the push directory and renews that
/// registration; every watchlist grain, wherever it lives, pushes each delta to every bridge,
/// and each bridge sends it to its local subscribers. So a client on any node sees changes of
/// accounts on any node, with no backplane: docs/watchlists.md says why.
///
/// Deltas of one watchlist leave in version order: out-of-order arrivals wait (briefly) for
/// the missing version, and each connection's own queue (SubscriberOutboxes) keeps them in that order.
/// </summary>
public sealed class WatchlistHubBridge(
    IGrainFactory grains,
    SubscriberOutboxes outboxes,
    IngestReadiness readiness,
    TimeProvider time,
    ILogger<WatchlistHubBridge> logger) : BackgroundService, IWatchlistPushObserver
{
    // Short: a directory grain that died with its silo comes back empty, and bridges are
    // unknown to it until they renew. One call per silo per period is nothing.
    private static readonly TimeSpan Renewal = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan GapWait = TimeSpan.FromMilliseconds(500);

    private readonly Channel<WatchlistDelta> _outbox = Channel.CreateUnbounded<WatchlistDelta>(new() { SingleReader = true });
    private readonly Dictionary<string, Sequencer> _sequencers = new(StringComparer.Ordinal);
    private IWatchlistPushObserver? _reference;

    /// <summary>
    /// The changes one owner may see: rows of theirs; a row that stopped being theirs (or left)
    /// is a remove. Other owners' accounts are never mentioned, not even by id.
    /// </summary>
    internal static WatchlistChange[] ForOwner(WatchlistChange[] changes, string owner)
    {
        var mine = new List<WatchlistChange>();
        foreach (var c in changes)
        {
            if (c.Op == "upsert" && c.Entry?.Owner == owner)
            {
                mine.Add(c);
            }
            else if (c.PreviousOwner == owner)
            {
                mine.Add(new WatchlistChange("remove", c.AccountId, null, owner));
            }
        }
        return [.. mine];
    }

    /// <summary>Alerts need no ordering or gap handling: each stands alone, and clients drop an id they already have.</summary>
    public Task OnAlertFired(Contracts.Playbooks.FiredAlert alert)
    {
        outboxes.PublishAlert(alert);
        return Task.CompletedTask;
    }

    public Task OnWatchlistChanged(WatchlistDelta delta)
    {
        lock (_sequencers)
        {
            if (!_sequencers.TryGetValue(delta.WatchlistId, out var seq))
            {
                _sequencers[delta.WatchlistId] = seq = new Sequencer();
            }
            foreach (var ready in seq.Accept(delta, time.GetUtcNow()))
            {
                _outbox.Writer.TryWrite(ready);
            }
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// A client on this node got a snapshot at <paramref name="version"/>: the deltas after it
    /// are the ones to deliver, in order. Without this, a bridge that has not seen the watchlist
    /// yet starts its sequence at the first delta to arrive; when a later one overtakes the
    /// first (one-way messages are unordered), the first would be dropped and the client see a gap.
    /// </summary>
    public void Baseline(string watchlistId, long version)
    {
        lock (_sequencers)
        {
            if (!_sequencers.TryGetValue(watchlistId, out var seq))
            {
                _sequencers[watchlistId] = seq = new Sequencer();
            }
            foreach (var ready in seq.Baseline(version, time.GetUtcNow()))
            {
                _outbox.Writer.TryWrite(ready);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var sender = Task.Run(() => SendLoop(stoppingToken), CancellationToken.None);
        DateTimeOffset registered = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (readiness.IsReady && time.GetUtcNow() - registered >= Renewal)
                {
                    _reference ??= grains.CreateObjectReference<IWatchlistPushObserver>(this);
                    await grains.GetGrain<IPushDirectory>(0).Register(_reference);
                    registered = time.GetUtcNow();
                }
                FlushStaleGaps();
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Registering the hub bridge failed; retrying");
            }
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        _outbox.Writer.TryComplete();
        try
        {
            await sender;
        }
        catch (OperationCanceledException)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_reference is not null)
        {
            try
            {
                await grains.GetGrain<IPushDirectory>(0).Unregister(_reference);
            }
            catch (Exception ex)
            {
                logger.LogDebug(ex, "Unregistering the hub bridge failed");
            }
        }
        await base.StopAsync(cancellationToken);
    }

    private void FlushStaleGaps()
    {
        lock (_sequencers)
        {
            var now = time.GetUtcNow();
            foreach (var seq in _sequencers.Values)
            {
                foreach (var ready in seq.GiveUpWaiting(now, GapWait))
                {
                    _outbox.Writer.TryWrite(ready);
                }
            }
        }
    }

    private async Task SendLoop(CancellationToken stoppingToken)
    {
        await foreach (var delta in _outbox.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                // Hand-off only: each connection's own bounded queue and loop do the sending.
                outboxes.Publish(delta);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Publishing watchlist {Watchlist} v{Version} failed", delta.WatchlistId, delta.Version);
            }
        }
    }

    /// <summary>Releases one watchlist's deltas in version order.</summary>
    internal sealed class Sequencer
    {
        private readonly SortedDictionary<long, WatchlistDelta> _waiting = [];
        private long _next = -1;
        private DateTimeOffset _waitingSince;

        public IEnumerable<WatchlistDelta> Accept(WatchlistDelta delta, DateTimeOffset now)
        {
            var ready = new List<WatchlistDelta>();
            if (_next < 0 || delta.Version > _next + 1_000_000)
            {
                // First delta seen, or a new activation of the watchlist (versions restart far ahead).
                _waiting.Clear();
                _next = delta.Version;
            }
            if (delta.Version < _next)
            {
                return ready; // already sent
            }
            if (_waiting.Count == 0)
            {
                _waitingSince = now;
            }
            _waiting[delta.Version] = delta;
            Release(ready);
            return ready;
        }

        /// <summary>Deltas up to <paramref name="version"/> are known to subscribers: wait for the one after it.</summary>
        public IEnumerable<WatchlistDelta> Baseline(long version, DateTimeOffset now)
        {
            var ready = new List<WatchlistDelta>();
            if (version + 1 > _next)
            {
                _next = version + 1;
                foreach (long stale in _waiting.Keys.Where(v => v < _next).ToList())
                {
                    _waiting.Remove(stale);
                }
                _waitingSince = now;
                Release(ready);
            }
            return ready;
        }

        public IEnumerable<WatchlistDelta> GiveUpWaiting(DateTimeOffset now, TimeSpan wait)
        {
            var ready = new List<WatchlistDelta>();
            if (_waiting.Count > 0 && now - _waitingSince >= wait)
            {
                // The missing version is lost; clients will see the gap and re-subscribe.
                _next = _waiting.Keys.First();
                Release(ready);
            }
            return ready;
        }

        private void Release(List<WatchlistDelta> ready)
        {
            while (_waiting.Remove(_next, out var d))
            {
                ready.Add(d);
                _next++;
            }
        }
    }
}
