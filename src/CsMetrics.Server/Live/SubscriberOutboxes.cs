using System.Collections.Concurrent;
using System.Threading.Channels;
using CsMetrics.Contracts.Playbooks;
using CsMetrics.Contracts.Watchlists;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace CsMetrics.Server.Live;

/// <summary>
/// Each hub connection of this node has its own bounded queue of messages (watchlist deltas and
/// alerts) and its own send loop, so the bridge never waits for a client: a client that does not
/// keep up fills its queue (<see cref="Capacity"/> messages) and is disconnected — it reconnects
/// and re-subscribes — while every other client keeps receiving in time. Per connection,
/// messages leave in order. A message is serialized once, whatever the number of connections it
/// goes to (per protocol, by the framework's <see cref="SerializedHubMessage"/> cache), and written
/// as those bytes to each connection.
/// </summary>
public sealed class SubscriberOutboxes(IHubContext<WatchlistHub> hub, HubConnectionRegistry connections, ILogger<SubscriberOutboxes> logger)
{
    public const int Capacity = 256;

    private sealed class Subscriber(string connectionId, HubCallerContext context)
    {
        public string ConnectionId { get; } = connectionId;
        public HubCallerContext Context { get; } = context;
        public Channel<Outgoing> Queue { get; } = Channel.CreateBounded<Outgoing>(new BoundedChannelOptions(Capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        /// <summary>Watchlist id → the owner this connection is restricted to ("" for none).</summary>
        public ConcurrentDictionary<string, string> Watchlists { get; } = new(StringComparer.Ordinal);
        /// <summary>Null: not following alerts; "": every alert; else only alerts of that owner's accounts.</summary>
        public volatile string? AlertsOwner;
        public Task? Loop { get; set; }
    }

    /// <summary>One hub message: the client method and its argument, serialized once for every connection it goes to.</summary>
    private sealed class Outgoing(string method, object payload)
    {
        public string Method { get; } = method;
        public object Payload { get; } = payload;
        public SerializedHubMessage Serialized { get; } = new(new InvocationMessage(method, [payload]));
    }

    private readonly ConcurrentDictionary<string, Subscriber> _byConnection = new(StringComparer.Ordinal);

    public void Subscribe(HubCallerContext context, string watchlistId, string? owner) =>
        Of(context).Watchlists[watchlistId] = owner ?? "";

    /// <summary>From now on the connection receives every alert (or, with <paramref name="owner"/>, that owner's).</summary>
    public void SubscribeAlerts(HubCallerContext context, string? owner) => Of(context).AlertsOwner = owner ?? "";

    private Subscriber Of(HubCallerContext context) =>
        _byConnection.GetOrAdd(context.ConnectionId, id =>
        {
            var s = new Subscriber(id, context);
            s.Loop = Task.Run(() => SendLoop(s));
            return s;
        });

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
        Outgoing? everything = null;
        Dictionary<string, Outgoing>? perOwner = null;
        foreach (var s in _byConnection.Values)
        {
            if (!s.Watchlists.TryGetValue(delta.WatchlistId, out var owner))
            {
                continue;
            }
            Outgoing? message;
            if (owner.Length == 0)
            {
                message = everything ??= new Outgoing(WatchlistHub.ChangedMethod, delta);
            }
            else
            {
                perOwner ??= new(StringComparer.Ordinal);
                if (!perOwner.TryGetValue(owner, out message))
                {
                    // Every version reaches every subscriber (maybe with no changes), so restricted
                    // clients see consecutive versions too.
                    message = new Outgoing(WatchlistHub.ChangedMethod, delta with { Changes = WatchlistHubBridge.ForOwner(delta.Changes, owner) });
                    perOwner[owner] = message;
                }
            }
            Enqueue(s, message);
        }
    }

    /// <summary>
    /// Queues an alert for every local connection following alerts that may see its account.
    /// Alerts are best effort: a connection whose queue is half full skips them (the recent ones
    /// stay listed in GET /api/v1/alerts), so a burst of alerts (a scorecard change turning many
    /// accounts red) never cuts a dashboard off its watchlist deltas.
    /// </summary>
    public void PublishAlert(FiredAlert alert)
    {
        Outgoing? message = null;
        foreach (var s in _byConnection.Values)
        {
            if (s.AlertsOwner is { } owner && (owner.Length == 0 || alert.Owner == owner))
            {
                if (s.Queue.Reader.Count >= Capacity / 2)
                {
                    logger.LogDebug("Hub connection {Connection} is busy; alert {Alert} skipped", s.ConnectionId, alert.Id);
                    continue;
                }
                Enqueue(s, message ??= new Outgoing(WatchlistHub.AlertMethod, alert));
            }
        }
    }

    private void Enqueue(Subscriber s, Outgoing message)
    {
        if (!s.Queue.Writer.TryWrite(message))
        {
            logger.LogWarning("Hub connection {Connection} is not keeping up ({Capacity} messages queued); disconnecting it", s.ConnectionId, Capacity);
            Drop(s.ConnectionId);
            s.Context.Abort();
        }
    }

    private async Task SendLoop(Subscriber s)
    {
        try
        {
            await foreach (var message in s.Queue.Reader.ReadAllAsync())
            {
                if (connections.TryGet(s.ConnectionId, out var connection))
                {
                    await connection.WriteAsync(message.Serialized);
                }
                else
                {
                    // Not (or no longer) known to the registry: the framework's own path.
                    await hub.Clients.Client(s.ConnectionId).SendAsync(message.Method, message.Payload);
                }
            }
        }
        catch (Exception ex)
        {
            logger.LogDebug(ex, "Send loop of hub connection {Connection} ended", s.ConnectionId);
        }
    }
}
