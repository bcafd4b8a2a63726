using CsMetrics.Contracts.Watchlists;
using CsMetrics.Server.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace CsMetrics.Server.Live;

/// <summary>
/// <c>/hubs/watchlists</c>: Subscribe returns a snapshot, then <c>watchlistChanged</c> deltas
/// follow with consecutive versions. docs/watchlists.md is the protocol.
/// </summary>
[Authorize(Policy = Policies.Read)]
public sealed class WatchlistHub(IGrainFactory grains, WatchlistHubBridge bridge, HubConnections connections) : Hub
{
    public const string Path = "/hubs/watchlists";
    public const string ChangedMethod = "watchlistChanged";
    /// <summary>Subscriptions one connection may hold: a dashboard needs one or two.</summary>
    public const int MaxSubscriptionsPerConnection = 20;

    public static string GroupOf(string watchlistId) => "wl:" + watchlistId;

    /// <summary>Connections of a key restricted to one owner get that owner's rows only.</summary>
    public static string GroupOf(string watchlistId, string? owner) =>
        owner is null ? GroupOf(watchlistId) : $"wl:{watchlistId}|owner:{owner}";

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
        // Join the group first, then read the snapshot: a delta published in between reaches
        // the client (it drops versions ≤ the snapshot's), so nothing falls in a gap.
        string? owner = Owner;
        if (owner is not null)
        {
            bridge.AddOwnerGroup(watchlistId, owner);
        }
        await Groups.AddToGroupAsync(Context.ConnectionId, GroupOf(watchlistId, owner));
        var snapshot = await grains.GetGrain<IWatchlistGrain>(watchlistId).GetSnapshot();
        if (snapshot is null)
        {
            await Groups.RemoveFromGroupAsync(Context.ConnectionId, GroupOf(watchlistId, owner));
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

    public async Task Unsubscribe(string watchlistId)
    {
        if (Subscriptions().Remove(watchlistId))
        {
            await Groups.RemoveFromGroupAsync(Context.ConnectionId, GroupOf(watchlistId, Owner));
        }
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
