using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsMetrics.Server.Tests.Live;
using CsMetrics.Server.Tests.Support;
using Microsoft.AspNetCore.SignalR.Client;
using static CsMetrics.Server.Tests.Support.SignalJson;
using static CsMetrics.Server.Tests.Security.Waiting;

namespace CsMetrics.Server.Tests.Security;

public sealed class SecurityServerFixture : ServerFixture;

[CollectionDefinition(Name)]
public sealed class SecurityServerCollection : ICollectionFixture<SecurityServerFixture>
{
    public const string Name = "security server";
}

/// <summary>Keys managed through the API, owner-restricted read keys everywhere, revocation.</summary>
[Collection(SecurityServerCollection.Name)]
public sealed class KeysAndVisibilityTests(SecurityServerFixture server)
{
    private async Task<JsonObject> CreateKeyAsync(string name, string[] scopes, string? owner = null)
    {
        var response = await server.Admin.PostAsJsonAsync("/api/v1/keys", new { name, scopes, owner });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    [Fact]
    public async Task A_created_key_is_shown_once_works_at_once_and_is_stored_only_as_a_hash()
    {
        var created = await CreateKeyAsync("reporting", ["read"]);
        string key = created["key"]!.GetValue<string>();
        string id = created["id"]!.GetValue<string>();
        Assert.Equal("reporting", created["name"]!.GetValue<string>());
        Assert.Equal(["read"], created["scopes"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.StartsWith("csm_", key);

        var client = server.Factory.ClientWithKey(key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/accounts")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync("/api/v1/signals", Batch(Usage(NewAccountId())))).StatusCode);

        // The list names the key but never carries a secret or its hash.
        string list = await server.Admin.GetStringAsync("/api/v1/keys");
        Assert.Contains(id, list);
        Assert.DoesNotContain(key, list);
        Assert.DoesNotContain(Auth.ApiKeyStore.Hash(key), list, StringComparison.OrdinalIgnoreCase);
        foreach (var k in JsonNode.Parse(list)!["keys"]!.AsArray())
        {
            Assert.Null(k!["key"]);
        }

        // Nothing on disk holds the secret.
        foreach (var file in Directory.EnumerateFiles(server.Factory.DataDir, "*", SearchOption.AllDirectories))
        {
            byte[] bytes = await File.ReadAllBytesAsync(file);
            Assert.DoesNotContain(key, System.Text.Encoding.UTF8.GetString(bytes));
        }
    }

    [Fact]
    public async Task Only_admin_keys_manage_keys_and_bad_requests_are_refused()
    {
        Assert.Equal(HttpStatusCode.Forbidden, (await server.Read.GetAsync("/api/v1/keys")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await server.Ingest.PostAsJsonAsync("/api/v1/keys", new { name = "x", scopes = new[] { "read" } })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Anonymous.GetAsync("/api/v1/keys")).StatusCode);

        foreach (var body in new object[]
        {
            new { name = "", scopes = new[] { "read" } },
            new { name = "x", scopes = Array.Empty<string>() },
            new { name = "x", scopes = new[] { "root" } },
            new { name = "x", scopes = new[] { "admin" }, owner = "ana" },
            new { name = "x", scopes = new[] { "read+admin" }, owner = "ana" },
        })
        {
            var response = await server.Admin.PostAsJsonAsync("/api/v1/keys", body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
        // Configured keys are revoked by configuration, not through the API.
        Assert.Equal(HttpStatusCode.Conflict, (await server.Admin.DeleteAsync("/api/v1/keys/env-1")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Admin.DeleteAsync("/api/v1/keys/key_nope")).StatusCode);
    }

    [Fact]
    public async Task A_revoked_key_stops_at_once_also_for_an_open_hub_connection()
    {
        var created = await CreateKeyAsync("temp", ["read"]);
        string key = created["key"]!.GetValue<string>();
        var client = server.Factory.ClientWithKey(key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/watchlists")).StatusCode);

        var connection = LiveClient.Build(server.Factory, key);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Closed += _ => { closed.TrySetResult(); return Task.CompletedTask; };
        await connection.StartAsync();
        await connection.InvokeAsync<JsonElement>("Subscribe", "at-risk");

        Assert.Equal(HttpStatusCode.NoContent, (await server.Admin.DeleteAsync($"/api/v1/keys/{created["id"]}")).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/watchlists")).StatusCode);
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(HubConnectionState.Disconnected, connection.State);
        await connection.DisposeAsync();
    }

    [Fact]
    public async Task A_read_key_restricted_to_an_owner_sees_only_that_owners_accounts_everywhere()
    {
        string mine = NewAccountId("mine"), theirs = NewAccountId("theirs");
        string owner = "csm-" + Guid.NewGuid().ToString("N")[..8], other = "csm-" + Guid.NewGuid().ToString("N")[..8];
        await server.Admin.RegisterAsync(mine, name: "Mine Inc", owner: owner, seats: 10);
        await server.Admin.RegisterAsync(theirs, name: "Theirs Inc", owner: other, seats: 10);
        await server.Admin.IngestAsync(Batch(Health.IntoRed(mine).Concat(Health.IntoRed(theirs))));

        var created = await CreateKeyAsync("ana's dashboard", ["read"], owner);
        var restricted = server.Factory.ClientWithKey(created["key"]!.GetValue<string>());

        // Account view and history: the other owner's account does not exist for this key.
        Assert.Equal(HttpStatusCode.OK, (await restricted.GetAsync($"/api/v1/accounts/{mine}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await restricted.GetAsync($"/api/v1/accounts/{theirs}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await restricted.GetAsync($"/api/v1/accounts/{theirs}/history")).StatusCode);

        // Listing: own accounts only, whatever the query asks for.
        var list = JsonNode.Parse(await restricted.GetStringAsync("/api/v1/accounts?limit=1000"))!;
        Assert.All(list["accounts"]!.AsArray(), a => Assert.Equal(owner, a!["owner"]!.GetValue<string>()));
        Assert.Contains(list["accounts"]!.AsArray(), a => a!["accountId"]!.GetValue<string>() == mine);
        var asked = JsonNode.Parse(await restricted.GetStringAsync($"/api/v1/accounts?owner={other}"))!;
        Assert.Empty(asked["accounts"]!.AsArray());

        // Watchlists over HTTP.
        await UntilAsync(async () => (await server.Admin.GetStringAsync("/api/v1/watchlists/at-risk")).Contains(theirs) && (await server.Admin.GetStringAsync("/api/v1/watchlists/at-risk")).Contains(mine));
        string atRisk = await restricted.GetStringAsync("/api/v1/watchlists/at-risk");
        Assert.Contains(mine, atRisk);
        Assert.DoesNotContain(theirs, atRisk);

        // The hub: snapshot and deltas carry own accounts only, with consecutive versions.
        var connection = LiveClient.Build(server.Factory, created["key"]!.GetValue<string>());
        var messages = System.Threading.Channels.Channel.CreateUnbounded<JsonElement>();
        connection.On<JsonElement>("watchlistChanged", m => messages.Writer.TryWrite(m));
        await connection.StartAsync();
        var snapshot = await connection.InvokeAsync<JsonElement>("Subscribe", "at-risk");
        var ids = snapshot.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("accountId").GetString()).ToList();
        Assert.Contains(mine, ids);
        Assert.DoesNotContain(theirs, ids);

        string mine2 = NewAccountId("mine2"), theirs2 = NewAccountId("theirs2");
        await server.Admin.RegisterAsync(theirs2, name: "Theirs Two", owner: other, seats: 10);
        await server.Admin.RegisterAsync(mine2, name: "Mine Two", owner: owner, seats: 10);
        await server.Admin.IngestAsync(Batch(Health.IntoRed(theirs2)));
        await server.Admin.IngestAsync(Batch(Health.IntoRed(mine2)));

        long version = snapshot.GetProperty("version").GetInt64();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        bool sawMine2 = false;
        while (!sawMine2)
        {
            var m = await messages.Reader.ReadAsync(cts.Token);
            long v = m.GetProperty("version").GetInt64();
            if (v <= version)
            {
                continue;
            }
            Assert.Equal(version + 1, v);
            version = v;
            string raw = m.GetRawText();
            Assert.DoesNotContain(theirs2, raw);
            Assert.DoesNotContain(other, raw);
            sawMine2 |= raw.Contains(mine2);
        }
        await connection.DisposeAsync();
    }
}

internal static class Waiting
{
    /// <summary>Index and watchlist updates are one-way: poll (briefly, in real time) until they land.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 20 s");
            await Task.Delay(50);
        }
    }
}

/// <summary>A server with a tiny request budget per key.</summary>
public sealed class RateLimitTests : IAsyncLifetime
{
    private CsMetricsFactory _factory = null!;

    public async Task InitializeAsync()
    {
        _factory = new CsMetricsFactory(settings: new Dictionary<string, string?>
        {
            ["CsMetrics:RateLimit:RequestsPerSecond"] = "2",
            ["CsMetrics:RateLimit:Burst"] = "3",
        });
        await Task.Run(() => _factory.CreateClient());
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task A_key_over_its_budget_gets_429_with_Retry_After_and_other_keys_are_unaffected()
    {
        var noisy = _factory.ClientWithKey(Keys.Read);
        HttpResponseMessage? limited = null;
        for (int i = 0; i < 20 && limited is null; i++)
        {
            var r = await noisy.GetAsync("/api/v1/watchlists");
            if (r.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = r;
            }
            else
            {
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            }
        }
        Assert.NotNull(limited);
        Assert.True(limited!.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1) || limited.Headers.TryGetValues("Retry-After", out _));
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);

        // Another key has its own budget; probes are never limited.
        Assert.Equal(HttpStatusCode.OK, (await _factory.ClientWithKey(Keys.Admin).GetAsync("/api/v1/watchlists")).StatusCode);
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await _factory.CreateClient().GetAsync("/healthz")).StatusCode);
        }
    }
}
