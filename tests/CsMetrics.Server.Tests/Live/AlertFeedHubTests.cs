using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using CsMetrics.Server.Tests.Playbooks;
using CsMetrics.Server.Tests.Support;
using Microsoft.AspNetCore.SignalR.Client;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Live;

/// <summary>
/// The live alert feed (docs/playbooks.md#alert-feed): a playbook that fires pushes its alert to
/// hub clients that follow alerts, owner-restricted keys see only their accounts' alerts, and
/// <c>GET /api/v1/alerts</c> lists the recent ones newest first. On the playbook server, whose
/// real receiver takes the deliveries.
/// </summary>
[Collection(PlaybookServerCollection.Name)]
public sealed class AlertFeedHubTests(PlaybookServerFixture server)
{
    private readonly PlaybookProbe _probe = new(server);

    /// <summary>A hub connection following alerts; every <c>alertFired</c> lands in <see cref="Fired"/>.</summary>
    private sealed class AlertClient : IAsyncDisposable
    {
        private readonly HubConnection _connection;

        private AlertClient(HubConnection connection)
        {
            _connection = connection;
            _connection.On<JsonElement>("alertFired", a => Fired.Writer.TryWrite(a.Clone()));
        }

        public Channel<JsonElement> Fired { get; } = Channel.CreateUnbounded<JsonElement>();

        public List<JsonElement> Seen { get; } = [];

        /// <summary>Connects, follows alerts, and returns the recent alerts SubscribeAlerts answered.</summary>
        public static async Task<(AlertClient Client, JsonElement[] Recent)> ConnectAsync(PlaybookServerFixture server, string key)
        {
            var client = new AlertClient(LiveClient.Build(server.Factory, key));
            using var cts = new CancellationTokenSource(LiveClient.Patience);
            await client._connection.StartAsync(cts.Token);
            var recent = await client._connection.InvokeAsync<JsonElement[]>("SubscribeAlerts", cts.Token);
            return (client, recent);
        }

        /// <summary>Reads pushed alerts until one for <paramref name="accountId"/> arrives.</summary>
        public async Task<JsonElement> WaitForAsync(string accountId)
        {
            using var cts = new CancellationTokenSource(LiveClient.Patience);
            while (true)
            {
                var alert = await Fired.Reader.ReadAsync(cts.Token);
                Seen.Add(alert);
                if (alert.GetProperty("accountId").GetString() == accountId)
                {
                    return alert;
                }
            }
        }

        /// <summary>Everything pushed so far, including what is still queued.</summary>
        public List<JsonElement> Drain()
        {
            while (Fired.Reader.TryRead(out var a))
            {
                Seen.Add(a);
            }
            return Seen;
        }

        public ValueTask DisposeAsync() => _connection.DisposeAsync();
    }

    private async Task<string> OwnerKeyAsync(string owner)
    {
        using var response = await server.Admin.PostAsJsonAsync("/api/v1/keys", new { name = "alerts " + owner, scopes = new[] { "read" }, owner });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
    }

    private static string[] AccountIds(IEnumerable<JsonElement> alerts) =>
        alerts.Select(a => a.GetProperty("accountId").GetString()!).ToArray();

    [Fact]
    public async Task A_firing_playbook_pushes_its_alert_live_and_owner_keys_see_only_their_accounts()
    {
        string path = $"/ok/{Guid.NewGuid():N}";
        string playbook = await _probe.DefineAsync(new { type = "band_falls", to = "red" }, path, name: "Red alert (feed)");
        try
        {
            string owner = "csm-" + Guid.NewGuid().ToString("N")[..8], other = "csm-" + Guid.NewGuid().ToString("N")[..8];
            string mine = NewAccountId("alert-mine"), theirs = NewAccountId("alert-theirs");
            await server.Admin.RegisterAsync(mine, name: "Mine Inc", owner: owner, seats: 10);
            await server.Admin.RegisterAsync(theirs, name: "Theirs Inc", owner: other, seats: 10);
            string ownerKey = await OwnerKeyAsync(owner);

            var (everyone, recentBefore) = await AlertClient.ConnectAsync(server, Keys.Read);
            await using var _1 = everyone;
            var (restricted, _) = await AlertClient.ConnectAsync(server, ownerKey);
            await using var _2 = restricted;
            Assert.DoesNotContain(mine, AccountIds(recentBefore));

            await _probe.PostAsync(Health.IntoRed(theirs));
            var theirsAlert = await everyone.WaitForAsync(theirs);
            await _probe.PostAsync(Health.IntoRed(mine));
            var alert = await everyone.WaitForAsync(mine);

            Assert.Equal(
                ["accountId", "accountName", "band", "firedAt", "id", "owner", "playbookId", "playbookName", "reason", "score", "summary", "trigger"],
                alert.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray());
            Assert.Equal(playbook, alert.GetProperty("playbookId").GetString());
            Assert.Equal("Red alert (feed)", alert.GetProperty("playbookName").GetString());
            Assert.Equal(("Mine Inc", owner), (alert.GetProperty("accountName").GetString(), alert.GetProperty("owner").GetString()));
            Assert.Equal(("band_falls", "band fell to red"), (alert.GetProperty("trigger").GetString(), alert.GetProperty("summary").GetString()));
            Assert.Equal(("red", 0.0), (alert.GetProperty("band").GetString(), alert.GetProperty("score").GetDouble()));
            Assert.False(string.IsNullOrEmpty(alert.GetProperty("reason").GetString()));
            // The alert's id is the firing's delivery id.
            var delivery = Assert.Single(await _probe.DeliveriesAsync(playbook, mine));
            Assert.Equal(delivery["id"]!.GetValue<string>(), alert.GetProperty("id").GetString());

            // The owner's key gets its own account's alert, and never the other owner's.
            var restrictedAlert = await restricted.WaitForAsync(mine);
            Assert.Equal(alert.GetProperty("id").GetString(), restrictedAlert.GetProperty("id").GetString());
            await Task.Delay(PlaybookProbe.Quiet);
            Assert.DoesNotContain(theirs, AccountIds(restricted.Drain()));
            Assert.Single(everyone.Drain(), a => a.GetProperty("accountId").GetString() == mine);

            // GET /api/v1/alerts: newest first, the same alerts, filtered for the owner's key.
            var all = (await server.Read.GetFromJsonAsync<JsonObject>("/api/v1/alerts?limit=200"))!["alerts"]!.AsArray();
            var ids = all.Select(a => a!["accountId"]!.GetValue<string>()).ToList();
            Assert.True(ids.IndexOf(mine) >= 0 && ids.IndexOf(mine) < ids.IndexOf(theirs), string.Join(",", ids));
            Assert.Equal(theirsAlert.GetProperty("id").GetString(), all[ids.IndexOf(theirs)]!["id"]!.GetValue<string>());
            var firedAt = all.Select(a => DateTimeOffset.Parse(a!["firedAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(firedAt.OrderDescending(), firedAt);

            var newest = (await server.Read.GetFromJsonAsync<JsonObject>("/api/v1/alerts?limit=1"))!["alerts"]!.AsArray();
            Assert.Equal([mine], newest.Select(a => a!["accountId"]!.GetValue<string>()).ToArray());

            using var ownerClient = server.Factory.ClientWithKey(ownerKey);
            var own = (await ownerClient.GetFromJsonAsync<JsonObject>("/api/v1/alerts"))!["alerts"]!.AsArray();
            Assert.Equal([mine], own.Select(a => a!["accountId"]!.GetValue<string>()).ToArray());

            // A client that connects later starts filled from SubscribeAlerts.
            var (late, recent) = await AlertClient.ConnectAsync(server, ownerKey);
            await using var _3 = late;
            Assert.Equal([mine], AccountIds(recent));
        }
        finally
        {
            await _probe.DeleteAsync(playbook);
        }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("201")]
    [InlineData("abc")]
    public async Task A_limit_outside_1_to_200_is_a_400(string limit)
    {
        using var response = await server.Read.GetAsync($"/api/v1/alerts?limit={limit}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Alerts_need_a_read_key()
    {
        using var anonymous = await server.Anonymous.GetAsync("/api/v1/alerts");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var ingestOnly = await server.Ingest.GetAsync("/api/v1/alerts");
        Assert.Equal(HttpStatusCode.Forbidden, ingestOnly.StatusCode);
    }
}
