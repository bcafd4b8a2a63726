using System.Collections.Concurrent;
using System.Threading.Channels;
using CsMetrics.Contracts.Watchlists;
using Microsoft.AspNetCore.SignalR;

namespace CsMetrics.Server.Live;

/// <summary>
/// Each hub connection of this node has its own bounded queue of deltas and its own send loop,
/// so the bridge never waits for a client: a client that does not keep up fills its queue
/// (<see cref="Capacity"/> deltas) and is disconnected — it reconnects and re-subscribes — while
/// every other client keeps receiving in time. Per connection, deltas leave in order.
/// </summary>
public sealed class SubscriberOutboxes(IHubContext<WatchlistHub> hub, ILogger<SubscriberOutboxes> logger)
{
    public const int Capacity = 256;

    private sealed class Subscriber(string connectionId, HubCallerContext context)
    {
        public string ConnectionId { get; } = connectionId;
        public HubCallerContext Context { get; } = context;
        public Channel<WatchlistDelta> Queue { get; } = Channel.CreateBounded<WatchlistDelta>(new BoundedChannelOptions(Capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        /// <summary>Watchlist id → the owner this connection is restricted to ("" for none).</summary>
        public ConcurrentDictionary<string, string> Watchlists { get; } = new(StringComparer.Ordinal);
        public Task? Loop { get; set; }
    }

    private readonly ConcurrentDictionary<string, Subscriber> _byConnection = new(StringComparer.Ordinal);

    public void Subscribe(HubCallerContext context, string watchlistId, string? owner)
    {
        var subscriber = _byConnection.GetOrAdd(context.ConnectionId, id =>
        {
            var s = new Subscriber(id, context);
            s.Loop = Task.Run(() => SendLoop(s));
            return s;
        });
        subscriber.Watchlists[watchlistId] = owner ?? "";
    }

    public void Unsubscribe(string connectionId, string watchlistId)
    {
        if (_byConnection.TryGetValue(connectionId, out var s))
        {
            s.Watchlists.TryRemove(watchlistId, out _);
        }
    }

    public void Drop(string connectionId)
    {
        if (_byConnection.TryRemove(connectionId, out var s))
        {
            s.Queue.Writer.TryComplete();
        }
    }

    /// <summary>Queues a delta for every local subscriber of its watchlist (filtered for owner-restricted ones).</summary>
    public void Publish(WatchlistDelta delta)
    {
        Dictionary<string, WatchlistDelta>? perOwner = null;
        foreach (var s in _byConnection.Values)
        {
            if (!s.Watchlists.TryGetValue(delta.WatchlistId, out var owner))
            {
                continue;
            }
            var payload = delta;
            if (owner.Length > 0)
            {
                perOwner ??= new(StringComparer.Ordinal);
                if (!perOwner.TryGetValue(owner, out payload))
                {
                    // Every version reaches every subscriber (maybe with no changes), so restricted
                    // clients see consecutive versions too.
                    payload = delta with { Changes = WatchlistHubBridge.ForOwner(delta.Changes, owner) };
                    perOwner[owner] = payload;
                }
            }
            if (!s.Queue.Writer.TryWrite(payload))
            {
                logger.LogWarning("Hub connection {Connection} is not keeping up ({Capacity} deltas queued); disconnecting it", s.ConnectionId, Capacity);
                Drop(s.ConnectionId);
                s.Context.Abort();
            }
        }
    }

    private async Task SendLoop(Subscriber s)
    {
        try
        {
            await foreach (var delta in s.Queue.Reader.ReadAllAsync())
            {
                await hub.Clients.Client(s.ConnectionId).SendAsync(WatchlistHub.ChangedMethod, delta);
            }
        }
        catch (Exception ex)
        {
            logger.LogDebug(ex, "Send loop of hub connection {Connection} ended", s.ConnectionId);
        }
    }
}
