using System.Collections.Concurrent;
using System.Security.Claims;
using CsMetrics.Contracts.Playbooks;
using CsMetrics.Contracts.Watchlists;
using CsMetrics.Server.Live;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging.Abstractions;

namespace CsMetrics.Server.Tests.Live;

/// <summary>One slow hub client cannot hold the others back: it is cut off when its queue is full.</summary>
public sealed class SubscriberOutboxesTests
{
    [Fact]
    public async Task A_client_that_stops_reading_is_disconnected_and_the_others_keep_receiving_in_order()
    {
        var hub = new FakeHubContext();
        hub.Block("slow");
        var outboxes = new SubscriberOutboxes(hub, new HubConnectionRegistry(), NullLogger<SubscriberOutboxes>.Instance);
        var fast = new FakeCallerContext("fast");
        var slow = new FakeCallerContext("slow");
        outboxes.Subscribe(fast, "at-risk", null);
        outboxes.Subscribe(slow, "at-risk", null);

        // Two bursts, each within a queue's capacity: the fast client drains between them, the
        // slow one never does and overflows in the second.
        int half = SubscriberOutboxes.Capacity - 50, total = 2 * half;
        async Task PublishAndDrain(int from, int to)
        {
            for (int v = from; v <= to; v++)
            {
                outboxes.Publish(new WatchlistDelta("at-risk", v, []));
            }
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (hub.Sent("fast").Count < to && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }
        }
        await PublishAndDrain(1, half);
        Assert.False(slow.Aborted);
        await PublishAndDrain(half + 1, total);

        Assert.True(slow.Aborted, "the slow connection was not cut off");
        Assert.False(fast.Aborted);
        Assert.Equal(Enumerable.Range(1, total).Select(v => (long)v), hub.Sent("fast").Select(d => d.Version));
    }

    [Fact]
    public void An_owner_restricted_subscriber_gets_every_version_with_only_its_owners_rows()
    {
        var hub = new FakeHubContext();
        var outboxes = new SubscriberOutboxes(hub, new HubConnectionRegistry(), NullLogger<SubscriberOutboxes>.Instance);
        outboxes.Subscribe(new FakeCallerContext("ana"), "at-risk", "ana");

        WatchlistEntry Entry(string id, string owner) => new(id, id, owner, null, 10, "red", 0, null, null, null, []);
        var changes = new[]
        {
            new WatchlistChange("upsert", "a1", Entry("a1", "ana")),
            new WatchlistChange("upsert", "b1", Entry("b1", "bob")),
            new WatchlistChange("upsert", "a2", Entry("a2", "bob"), PreviousOwner: "ana"), // moved to bob
            new WatchlistChange("remove", "b2", null, PreviousOwner: "bob"),
        };
        var mine = WatchlistHubBridge.ForOwner(changes, "ana");
        Assert.Equal([("upsert", "a1"), ("remove", "a2")], mine.Select(c => (c.Op, c.AccountId)));
        Assert.Empty(WatchlistHubBridge.ForOwner([changes[1], changes[3]], "ana"));
    }

    private static FiredAlert Alert(string id, string owner) =>
        new(id, "pb", "Playbook", "acc-" + id, null, owner, "band_falls", "band fell to red", 10, "red", null, DateTimeOffset.UnixEpoch);

    [Fact]
    public async Task Alerts_reach_followers_filtered_by_owner_and_a_busy_connection_skips_them_without_being_cut_off()
    {
        var hub = new FakeHubContext();
        hub.Block("busy");
        var outboxes = new SubscriberOutboxes(hub, new HubConnectionRegistry(), NullLogger<SubscriberOutboxes>.Instance);
        var busy = new FakeCallerContext("busy");
        outboxes.SubscribeAlerts(new FakeCallerContext("all"), null);
        outboxes.SubscribeAlerts(new FakeCallerContext("ana"), "ana");
        outboxes.Subscribe(new FakeCallerContext("watchlist-only"), "at-risk", null);
        outboxes.SubscribeAlerts(busy, null);
        outboxes.Subscribe(busy, "at-risk", null);

        // The busy connection's queue fills with watchlist deltas up to half its capacity.
        for (int v = 1; v <= SubscriberOutboxes.Capacity / 2 + 1; v++)
        {
            outboxes.Publish(new WatchlistDelta("at-risk", v, []));
        }
        outboxes.PublishAlert(Alert("1", "ana"));
        outboxes.PublishAlert(Alert("2", "bob"));

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((hub.SentAlerts("all").Count < 2 || hub.SentAlerts("ana").Count < 1) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }
        Assert.Equal(["1", "2"], hub.SentAlerts("all").Select(a => a.Id));
        Assert.Equal(["1"], hub.SentAlerts("ana").Select(a => a.Id));
        Assert.Empty(hub.SentAlerts("watchlist-only"));
        Assert.Empty(hub.SentAlerts("busy"));
        Assert.False(busy.Aborted, "alerts must never cut a busy connection off");
    }

    private sealed class FakeCallerContext(string id) : HubCallerContext
    {
        public bool Aborted { get; private set; }
        public override string ConnectionId { get; } = id;
        public override string? UserIdentifier => null;
        public override ClaimsPrincipal? User => null;
        public override IDictionary<object, object?> Items { get; } = new Dictionary<object, object?>();
        public override IFeatureCollection Features { get; } = new FeatureCollection();
        public override CancellationToken ConnectionAborted => CancellationToken.None;
        public override void Abort() => Aborted = true;
    }

    private sealed class FakeHubContext : IHubContext<WatchlistHub>
    {
        private readonly ConcurrentDictionary<string, ConcurrentQueue<(string Method, object Payload)>> _sent = new();
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _blocked = new();

        public void Block(string connectionId) => _blocked[connectionId] = new TaskCompletionSource();

        public List<WatchlistDelta> Sent(string connectionId) =>
            [.. _sent.GetOrAdd(connectionId, _ => new()).Where(m => m.Method == WatchlistHub.ChangedMethod).Select(m => (WatchlistDelta)m.Payload)];

        public List<FiredAlert> SentAlerts(string connectionId) =>
            [.. _sent.GetOrAdd(connectionId, _ => new()).Where(m => m.Method == WatchlistHub.AlertMethod).Select(m => (FiredAlert)m.Payload)];

        public IHubClients Clients => new FakeClients(this);
        public IGroupManager Groups => throw new NotSupportedException();

        private sealed class FakeClients(FakeHubContext owner) : IHubClients
        {
            public IClientProxy Client(string connectionId) => new Proxy(owner, connectionId);
            public IClientProxy All => throw new NotSupportedException();
            public IClientProxy AllExcept(IReadOnlyList<string> excludedConnectionIds) => throw new NotSupportedException();
            public IClientProxy Clients(IReadOnlyList<string> connectionIds) => throw new NotSupportedException();
            public IClientProxy Group(string groupName) => throw new NotSupportedException();
            public IClientProxy GroupExcept(string groupName, IReadOnlyList<string> excludedConnectionIds) => throw new NotSupportedException();
            public IClientProxy Groups(IReadOnlyList<string> groupNames) => throw new NotSupportedException();
            public IClientProxy User(string userId) => throw new NotSupportedException();
            public IClientProxy Users(IReadOnlyList<string> userIds) => throw new NotSupportedException();
        }

        private sealed class Proxy(FakeHubContext owner, string connectionId) : IClientProxy
        {
            public async Task SendCoreAsync(string method, object?[] args, CancellationToken cancellationToken = default)
            {
                if (owner._blocked.TryGetValue(connectionId, out var gate))
                {
                    await gate.Task; // a client that never reads
                }
                owner._sent.GetOrAdd(connectionId, _ => new()).Enqueue((method, args[0]!));
            }
        }
    }
}
