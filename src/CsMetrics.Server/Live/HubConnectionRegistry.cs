using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace CsMetrics.Server.Live;

/// <summary>
/// The open watchlist-hub connections of this node by connection id, as the framework's
/// <see cref="HubConnectionContext"/>: with it a message serialized once can be written to every
/// subscriber (<see cref="SubscriberOutboxes"/>), where sending through <c>IHubContext</c>
/// serializes it again for each connection — 1,000 watchers of one watchlist cost 1,000
/// serializations of every delta.
/// </summary>
public sealed class HubConnectionRegistry
{
    private readonly ConcurrentDictionary<string, HubConnectionContext> _byId = new(StringComparer.Ordinal);

    public void Add(HubConnectionContext connection) => _byId[connection.ConnectionId] = connection;

    public void Remove(string connectionId) => _byId.TryRemove(connectionId, out _);

    public bool TryGet(string connectionId, out HubConnectionContext connection) => _byId.TryGetValue(connectionId, out connection!);
}

/// <summary>The default (single-node, no backplane) lifetime manager, telling the registry about connections.</summary>
public sealed class RegisteringHubLifetimeManager(HubConnectionRegistry registry, ILogger<DefaultHubLifetimeManager<WatchlistHub>> logger)
    : DefaultHubLifetimeManager<WatchlistHub>(logger)
{
    public override async Task OnConnectedAsync(HubConnectionContext connection)
    {
        await base.OnConnectedAsync(connection);
        registry.Add(connection);
    }

    public override async Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        registry.Remove(connection.ConnectionId);
        await base.OnDisconnectedAsync(connection);
    }
}
