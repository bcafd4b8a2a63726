using CsMetrics.Contracts.Playbooks;
using CsMetrics.Contracts.Watchlists;
using CsMetrics.Server.Auth;
using CsMetrics.Server.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace CsMetrics.Server.Live;

/// <summary>
/// <c>/hubs/watchlists</c>: Subscribe returns a snapshot, then <c>watchlistChanged</c> deltas
/// follow with consecutive versions. docs/watchlists.md is the protocol. SubscribeAlerts returns
/// the recent alerts, then <c>alertFired</c> messages follow (docs/playbooks.md#alert-feed).
/// </summary>
[Authorize(Policy = Policies.Read)]
public sealed class WatchlistHub(IGrainFactory grains, WatchlistHubBridge bridge, HubConnections connections, SubscriberOutboxes outboxes) : Hub
{
    public const string Path = "/hubs/watchlists";
    public const string ChangedMethod = "watchlistChanged";
    public const string AlertMethod = "alertFired";
    /// <summary>Subscriptions one connection may hold: a dashboard needs one or two.</summary>
    public const int MaxSubscriptionsPerConnection = 20;


    public override Task OnConnectedAsync()
    {
        if (Context.User?.KeyId() is { } keyId)
        {
            connections.Add(keyId, Context);
        }
        return Task.CompletedTask;
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        connections.Remove(Context.ConnectionId);
        outboxes.Drop(Context.ConnectionId);
        return Task.CompletedTask;
    }

    private string? Owner => Context.User?.OwnerRestriction();

    public async Task<WatchlistSnapshot> Subscribe(string watchlistId)
    {
        if (!WatchlistIds.IsValid(watchlistId))
        {
            throw new HubException("Unknown watchlist.");
        }
        var subscriptions = Subscriptions();
        if (!subscriptions.Contains(watchlistId) && subscriptions.Count >= MaxSubscriptionsPerConnection)
        {
            throw new HubException($"At most {MaxSubscriptionsPerConnection} subscriptions per connection.");
        }
        // Subscribe first, then read the snapshot: a delta published in between reaches the
        // client (it drops versions ≤ the snapshot's), so nothing falls in a gap.
        string? owner = Owner;
        outboxes.Subscribe(Context, watchlistId, owner);
        var snapshot = await grains.GetGrain<IWatchlistGrain>(watchlistId).GetSnapshot();
        if (snapshot is null)
        {
            outboxes.Unsubscribe(Context.ConnectionId, watchlistId);
            throw new HubException("Unknown watchlist.");
        }
        if (owner is not null)
        {
            snapshot = snapshot with { Entries = snapshot.Entries.Where(e => e.Owner == owner).ToArray() };
        }
        // This node's bridge now delivers the deltas after the snapshot, in order.
        bridge.Baseline(watchlistId, snapshot.Version);
        subscriptions.Add(watchlistId);
        return snapshot;
    }

    /// <summary>Follows the alert feed: the recent alerts (newest first) now, each new one as <c>alertFired</c>.</summary>
    public async Task<FiredAlert[]> SubscribeAlerts()
    {
        // Subscribe first, then read: an alert fired in between arrives twice at worst (same id), never not at all.
        string? owner = Owner;
        outboxes.SubscribeAlerts(Context, owner);
        var recent = await grains.GetGrain<IAlertFeed>(0).GetRecent();
        return AlertsApi.Visible(recent, owner, AlertsApi.MaxLimit);
    }

    public async Task Unsubscribe(string watchlistId)
    {
        if (Subscriptions().Remove(watchlistId))
        {
            outboxes.Unsubscribe(Context.ConnectionId, watchlistId);
        }
        await Task.CompletedTask;
    }

    private HashSet<string> Subscriptions()
    {
        if (Context.Items.TryGetValue("subs", out var value) && value is HashSet<string> set)
        {
            return set;
        }
        var created = new HashSet<string>(StringComparer.Ordinal);
        Context.Items["subs"] = created;
        return created;
    }
}

public static class WatchlistIds
{
    public static bool IsValid(string? id) =>
        id is { Length: > 0 and <= 64 } && id.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_');
}
