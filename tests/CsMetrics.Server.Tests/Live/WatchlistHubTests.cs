using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsMetrics.Contracts.Watchlists;
using CsMetrics.Server.Live;
using CsMetrics.Server.Tests.Support;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Live;

/// <summary>The hub protocol of docs/watchlists.md, over the .NET SignalR client.</summary>
[Collection(LiveServerCollection.Name)]
public sealed class WatchlistHubTests(LiveServerFixture server, ITestOutputHelper output) : IAsyncLifetime
{
    private const string AtRisk = "at-risk";
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(1);

    private readonly List<IAsyncDisposable> _disposables = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var d in _disposables)
        {
            await d.DisposeAsync();
        }
    }

    private async Task<LiveClient> ConnectAsync(string key = Keys.Read)
    {
        var client = await LiveClient.ConnectAsync(server.Factory, key);
        _disposables.Add(client);
        return client;
    }

    private async Task PostAsync(params JsonObject[] signals)
    {
        var (accepted, duplicates) = await server.Ingest.IngestAsync(Batch(signals));
        Assert.Equal((signals.Length, 0), (accepted, duplicates));
    }

    private static Func<IReadOnlyDictionary<string, JsonElement>, bool> HasScore(string accountId, double score) =>
        rows => rows.TryGetValue(accountId, out var e) && e.Score() == score;

    [Fact]
    public async Task Connecting_needs_a_read_key()
    {
        foreach (var key in new[] { null, "not-a-key" })
        {
            await using var connection = LiveClient.Build(server.Factory, key);
            var ex = await Assert.ThrowsAsync<HttpRequestException>(() => connection.StartAsync());
            Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
        }
        await using (var ingestOnly = LiveClient.Build(server.Factory, Keys.Ingest))
        {
            var ex = await Assert.ThrowsAsync<HttpRequestException>(() => ingestOnly.StartAsync());
            Assert.Equal(HttpStatusCode.Forbidden, ex.StatusCode);
        }

        // The access_token query parameter (what browser clients send) is accepted as well.
        await using var byQuery = LiveClient.Build(server.Factory, key: null, query: "?access_token=" + Keys.Read);
        await byQuery.StartAsync();
        var snapshot = await byQuery.InvokeAsync<JsonElement>("Subscribe", AtRisk);
        Assert.Equal(AtRisk, snapshot.GetProperty("watchlistId").GetString());

        // An admin key may follow watchlists too.
        var admin = await ConnectAsync(Keys.Admin);
        await admin.SubscribeAsync(AtRisk);
    }

    [Fact]
    public async Task Open_connections_are_registered_so_deltas_are_written_as_bytes_serialized_once()
    {
        var registry = server.Factory.Services.GetRequiredService<HubConnectionRegistry>();
        await using var connection = LiveClient.Build(server.Factory, Keys.Read);
        await connection.StartAsync();
        Assert.True(registry.TryGet(connection.ConnectionId!, out var context), "the open connection is not in the registry");
        Assert.Equal(connection.ConnectionId, context.ConnectionId);

        await connection.StopAsync();
        var deadline = DateTime.UtcNow + LiveClient.Patience;
        while (registry.TryGet(context.ConnectionId, out _) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        Assert.False(registry.TryGet(context.ConnectionId, out _), "a closed connection stayed in the registry");
    }

    [Fact]
    public async Task Subscribing_to_an_unknown_or_invalid_watchlist_fails()
    {
        var client = await ConnectAsync();
        var unknown = await Assert.ThrowsAsync<HubException>(() => client.InvokeAsync<JsonElement>("Subscribe", "no-such-list-" + Guid.NewGuid().ToString("N")[..8]));
        Assert.Contains("Unknown watchlist", unknown.Message, StringComparison.Ordinal);
        var invalid = await Assert.ThrowsAsync<HubException>(() => client.InvokeAsync<JsonElement>("Subscribe", "Not Valid!"));
        Assert.Contains("Unknown watchlist", invalid.Message, StringComparison.Ordinal);
        // The connection is still usable.
        await client.SubscribeAsync(AtRisk);
    }

    [Fact]
    public async Task An_account_pushed_into_red_arrives_as_upserts_with_consecutive_versions()
    {
        string account = NewAccountId("hub-red");
        await server.Admin.RegisterAsync(account, name: "Acme Red", owner: "csm-hub", segment: "enterprise", seats: 20, renewalDate: "2031-03-01");

        var client = await ConnectAsync();
        var snapshot = await client.SubscribeAsync(AtRisk);
        HttpAssertions.AssertHasProperties(JsonNode.Parse(snapshot.GetRawText()), "watchlistId", "version", "entries");
        Assert.Equal(JsonValueKind.Array, snapshot.GetProperty("entries").ValueKind);
        long snapshotVersion = snapshot.GetProperty("version").GetInt64();
        var scores = snapshot.GetProperty("entries").EnumerateArray().Select(e => e.Score() ?? double.MaxValue).ToArray();
        Assert.Equal(scores.Order().ToArray(), scores); // worst first
        Assert.DoesNotContain(account, client.Rows(AtRisk).Keys);

        // Signal by signal: the second urgent ticket takes the account into red.
        foreach (var signal in Health.IntoRed(account))
        {
            await PostAsync(signal);
        }
        var view = await server.Read.GetAccountAsync(account);
        Assert.Equal(0, view!["health"]!["score"]!.GetValue<double>());
        string reason = view["health"]!["explanation"]!["reason"]!.GetValue<string>();
        var messages = await client.WaitUntilAsync(AtRisk,
            rows => rows.TryGetValue(account, out var e) && e.Score() == 0 && e.GetProperty("reason").GetString() == reason,
            "the account at score 0 with the latest reason");

        Assert.NotEmpty(messages);
        for (int i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            HttpAssertions.AssertHasProperties(JsonNode.Parse(m.GetRawText()), "watchlistId", "version", "changes");
            Assert.Equal(AtRisk, m.GetProperty("watchlistId").GetString());
            Assert.Equal(snapshotVersion + 1 + i, m.GetProperty("version").GetInt64());
            Assert.NotEqual(0, m.GetProperty("changes").GetArrayLength());
        }
        var changes = messages.ChangesOf(account).ToList();
        Assert.NotEmpty(changes);
        Assert.All(changes, c => Assert.Equal("upsert", c.GetProperty("op").GetString()));

        var entry = client.Rows(AtRisk)[account];
        HttpAssertions.AssertHasProperties(JsonNode.Parse(entry.GetRawText()),
            "accountId", "name", "owner", "segment", "score", "band", "delta7d", "delta30d", "updatedAt", "reason", "renewalDate", "trend");
        Assert.Equal("Acme Red", entry.GetProperty("name").GetString());
        Assert.Equal("csm-hub", entry.GetProperty("owner").GetString());
        Assert.Equal("enterprise", entry.GetProperty("segment").GetString());
        Assert.Equal("red", entry.Band());
        Assert.Equal("2031-03-01", entry.GetProperty("renewalDate").GetString());
        Assert.Equal(0, entry.GetProperty("trend").EnumerateArray().Last().GetDouble());

        // What the client holds is what the HTTP watchlist says.
        using var http = await server.Read.GetAsync("/api/v1/watchlists/at-risk");
        var list = (await http.ReadJsonAsync())!;
        Assert.True(list["version"]!.GetValue<long>() >= client.Version(AtRisk));
        Assert.Contains(account, list["entries"]!.AsArray().Select(e => e!["accountId"]!.GetValue<string>()));
    }

    [Fact]
    public async Task An_account_leaving_red_is_removed()
    {
        string account = NewAccountId("hub-leave");
        await server.Admin.RegisterAsync(account, name: "Comeback", owner: "csm-hub");
        var client = await ConnectAsync();
        await client.SubscribeAsync(AtRisk);

        await PostAsync(Health.IntoRed(account));
        await client.WaitUntilAsync(AtRisk, HasScore(account, 0), "the account in red");

        // MRR back up, tickets solved, the detractor now a promoter: green.
        await PostAsync(Health.OutOfRed(account));
        var messages = await client.WaitUntilAsync(AtRisk, rows => !rows.ContainsKey(account), "the account to leave");
        var last = messages.ChangesOf(account).Last();
        Assert.Equal("remove", last.GetProperty("op").GetString());
        Assert.Equal(JsonValueKind.Null, last.GetProperty("entry").ValueKind);

        var view = await server.Read.GetAccountAsync(account);
        Assert.Equal("green", view!["health"]!["band"]!.GetValue<string>());
        Assert.Equal(100, view["health"]!["score"]!.GetValue<double>());
    }

    [Fact]
    public async Task Changes_nobody_can_see_send_nothing()
    {
        string red = NewAccountId("hub-dup");
        string green = NewAccountId("hub-green");
        await server.Admin.RegisterAsync(green, name: "Happy", owner: "csm-hub");
        var client = await ConnectAsync();
        await client.SubscribeAsync(AtRisk);

        var signals = Health.IntoRed(red);
        await PostAsync(signals);
        await client.WaitUntilAsync(AtRisk, HasScore(red, 0), "the account in red");

        // The very same signals again: all duplicates, nothing changes.
        var (accepted, duplicates) = await server.Ingest.IngestAsync(Batch(signals.Select(s => (JsonObject)s.DeepClone()).ToArray()));
        Assert.Equal((0, signals.Length), (accepted, duplicates));
        // Usage of an account that is not at risk and does not become so.
        await PostAsync(Usage(green, userId: "u1"), Usage(green, userId: "u2", feature: "dashboards.create"));
        var greenView = await server.Read.GetAccountAsync(green);
        Assert.NotEqual("red", greenView!["health"]!["band"]!.GetValue<string>());

        await client.AssertQuietAsync(AtRisk, Quiet);
        Assert.Equal(0, client.Pending(AtRisk));
    }

    [Fact]
    public async Task A_burst_for_one_account_is_coalesced_and_the_last_upsert_is_the_latest_state()
    {
        string account = NewAccountId("hub-burst");
        var now = DateTimeOffset.UtcNow;
        var client = await ConnectAsync();
        await client.SubscribeAsync(AtRisk);

        // Red with revenue 0: MRR 1000 100 days ago, 700 now (−30 %).
        await PostAsync([.. Health.IntoRed(account).Where(s => s["type"]!.GetValue<string>() != "revenue"),
            Revenue(account, 1000, at: now.AddDays(-100)), Revenue(account, 700, at: now.AddHours(-2))]);
        await client.WaitUntilAsync(AtRisk, HasScore(account, 0), "the account in red");
        int before = client.Applied(AtRisk).Count;

        // Eight MRR points, each newer than the last, posted at once: whatever order they are
        // applied in, the newest (1020: +2 % → revenue 80 → score 24) ends up current.
        const int Burst = 8;
        var burst = Enumerable.Range(1, Burst)
            .Select(i => Revenue(account, 700 + (40 * i), at: now.AddHours(-1).AddSeconds(i)))
            .ToArray();
        await Task.WhenAll(burst.Select(s => PostAsync(s)));

        var view = await server.Read.GetAccountAsync(account);
        Assert.Equal(24, view!["health"]!["score"]!.GetValue<double>());
        await client.WaitUntilAsync(AtRisk, HasScore(account, 24), "the latest score");
        var upserts = client.Applied(AtRisk).Skip(before).ChangesOf(account).ToList();
        output.WriteLine($"{Burst} signals → {upserts.Count} upsert(s) of the account");
        Assert.True(upserts.Count < Burst, $"{upserts.Count} upserts for a burst of {Burst} signals: not coalesced");

        // Nothing older follows the latest state.
        await client.AssertQuietAsync(AtRisk, TimeSpan.FromMilliseconds(300));
        var entry = client.Rows(AtRisk)[account];
        Assert.Equal(24, entry.Score());
        Assert.Equal(view["health"]!["explanation"]!["reason"]!.GetValue<string>(), entry.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Unsubscribe_stops_messages()
    {
        var leaving = await ConnectAsync();
        var staying = await ConnectAsync();
        await leaving.SubscribeAsync(AtRisk);
        await staying.SubscribeAsync(AtRisk);

        string first = NewAccountId("hub-unsub1");
        await PostAsync(Health.IntoRed(first));
        await leaving.WaitUntilAsync(AtRisk, HasScore(first, 0), "the first account");
        await staying.WaitUntilAsync(AtRisk, HasScore(first, 0), "the first account");

        await leaving.UnsubscribeAsync(AtRisk);
        await leaving.UnsubscribeAsync(AtRisk); // twice is harmless

        string second = NewAccountId("hub-unsub2");
        await PostAsync(Health.IntoRed(second));
        await staying.WaitUntilAsync(AtRisk, HasScore(second, 0), "the second account");
        await leaving.AssertQuietAsync(AtRisk, Quiet);
        Assert.Equal(0, leaving.Pending(AtRisk));

        // Subscribing again gives a snapshot that holds the second account.
        var again = await leaving.SubscribeAsync(AtRisk);
        Assert.Contains(second, again.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("accountId").GetString()));
    }

    [Fact]
    public async Task A_custom_owner_watchlist_only_receives_its_owners_accounts()
    {
        string owner = "owner-" + Guid.NewGuid().ToString("N")[..10];
        string wl = "mine-" + Guid.NewGuid().ToString("N")[..10];
        using (var put = await server.Admin.PutAsJsonAsync($"/api/v1/watchlists/{wl}", new { name = "My accounts", filter = new { owner } }))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }
        var client = await ConnectAsync();
        var snapshot = await client.SubscribeAsync(wl);
        Assert.Equal(0, snapshot.GetProperty("entries").GetArrayLength());

        string others = NewAccountId("hub-others");
        string mine = NewAccountId("hub-mine");
        await server.Admin.RegisterAsync(others, name: "Not mine", owner: "someone-else");
        await PostAsync(Health.IntoRed(others));
        await server.Admin.RegisterAsync(mine, name: "Mine", owner: owner);
        await PostAsync(Health.IntoRed(mine));

        var messages = await client.WaitUntilAsync(wl, HasScore(mine, 0), "my account in red");
        Assert.Empty(messages.ChangesOf(others));
        Assert.Equal([mine], client.Rows(wl).Keys.ToArray());
        Assert.All(messages, m => Assert.Equal(wl, m.GetProperty("watchlistId").GetString()));

        // Deleting the watchlist removes its rows for the subscriber.
        using (var delete = await server.Admin.DeleteAsync($"/api/v1/watchlists/{wl}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }
        await client.WaitUntilAsync(wl, rows => rows.Count == 0, "the rows of the deleted watchlist to go");
    }

    [Fact]
    public async Task Subscribing_in_the_middle_of_a_stream_of_changes_loses_nothing()
    {
        const int Accounts = 12;
        var ids = Enumerable.Range(0, Accounts).Select(i => NewAccountId($"hub-stream{i}")).ToArray();
        var client = await ConnectAsync();

        // Accounts go red one by one while the client subscribes half-way through: messages
        // may overtake the snapshot; the client keeps them and applies those above its version.
        var stream = Task.Run(async () =>
        {
            foreach (var id in ids)
            {
                await PostAsync(Health.IntoRed(id));
            }
        });
        while (!stream.IsCompleted && (await server.Read.GetAccountAsync(ids[Accounts / 2])) is null)
        {
            await Task.Delay(5);
        }
        await client.SubscribeAsync(AtRisk);
        await stream;

        await client.WaitUntilAsync(AtRisk, rows => ids.All(id => rows.TryGetValue(id, out var e) && e.Score() == 0), "all accounts in red");

        // The client's rows are the watchlist's rows.
        using var http = await server.Read.GetAsync("/api/v1/watchlists/at-risk");
        var list = (await http.ReadJsonAsync())!;
        var served = list["entries"]!.AsArray().Select(e => e!["accountId"]!.GetValue<string>()).ToArray();
        Assert.Equal(client.Version(AtRisk), list["version"]!.GetValue<long>());
        Assert.Equal(served.Order(StringComparer.Ordinal), client.Rows(AtRisk).Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_bridge_delivers_deltas_in_version_order_when_they_arrive_out_of_order()
    {
        // Watchlist grains push to the bridges one-way, and one-way messages may overtake each
        // other (between silos the first push often does). Feed this node's bridge directly.
        string wl = "order-" + Guid.NewGuid().ToString("N")[..10];
        using (var put = await server.Admin.PutAsJsonAsync($"/api/v1/watchlists/{wl}", new { name = "Ordering", filter = new { owner = "nobody-" + wl } }))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }
        var client = await ConnectAsync();
        var snapshot = await client.SubscribeAsync(wl);
        long v = snapshot.GetProperty("version").GetInt64();

        var bridge = server.Factory.Services.GetRequiredService<CsMetrics.Server.Live.WatchlistHubBridge>();
        static WatchlistDelta Delta(string wl, long version, string account) =>
            new(wl, version, [new WatchlistChange("upsert", account, new WatchlistEntry(account, account, null, null, 10, "red", null, null, null, null, [10]))]);
        await bridge.OnWatchlistChanged(Delta(wl, v + 2, "second"));
        await bridge.OnWatchlistChanged(Delta(wl, v + 3, "third"));
        await bridge.OnWatchlistChanged(Delta(wl, v + 1, "first"));

        var messages = await client.WaitUntilAsync(wl, rows => rows.Count == 3, "three rows");
        Assert.Equal(["first", "second", "third"], messages.Select(m => m.GetProperty("changes")[0].GetProperty("accountId").GetString()!).ToArray());

        using var delete = await server.Admin.DeleteAsync($"/api/v1/watchlists/{wl}");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
    }
}
