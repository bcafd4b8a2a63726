using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using CsMetrics.Server.Tests.Support;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR.Client;

namespace CsMetrics.Server.Tests.Time;

/// <summary>
/// A server of its own for the time-related HTTP contract tests (scorecard validation, history,
/// overrides): nothing here activates a scorecard, so the version stays 1.
/// </summary>
public sealed class TimeServerFixture : ServerFixture;

[CollectionDefinition(Name)]
public sealed class TimeServerCollection : ICollectionFixture<TimeServerFixture>
{
    public const string Name = "time server";
}

/// <summary>A server of its own for the re-score test: activating a scorecard changes every account on it.</summary>
public sealed class RescoreServerFixture : ServerFixture;

public static class TimeApi
{
    public static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    /// <summary>
    /// Re-reads until <paramref name="done"/> holds and returns that value; fails the test when it
    /// still does not hold after 20 s (several callers wait without asserting afterwards).
    /// </summary>
    public static async Task<T> Until<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }
            if (watch.Elapsed > TimeSpan.FromSeconds(20))
            {
                throw new Xunit.Sdk.XunitException($"Still not as expected after 20 s; last read: {value}");
            }
            await Task.Delay(50);
        }
    }

    public static async Task<JsonObject> GetOkAsync(this HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {url}: expected 200, got {(int)response.StatusCode}: {body?.ToJsonString()}");
        return body!.AsObject();
    }

    public static Task<HttpResponseMessage> PutOverrideAsync(this HttpClient client, string accountId, object body) =>
        client.PutAsJsonAsync($"/api/v1/accounts/{Uri.EscapeDataString(accountId)}/override", body);

    /// <summary>The active scorecard document as GET returns it (with its version).</summary>
    public static Task<JsonObject> GetScorecardAsync(this HttpClient client) => client.GetOkAsync("/api/v1/scorecard");

    public static JsonArray Entries(this JsonObject watchlist) => watchlist["entries"]!.AsArray();

    public static JsonNode? Row(this JsonObject watchlist, string accountId) =>
        watchlist.Entries().FirstOrDefault(e => e!["accountId"]!.GetValue<string>() == accountId);
}

/// <summary>
/// Follows one watchlist over the hub the way docs/watchlists.md says: messages are kept from
/// connection start, those above the snapshot's version are applied in order (each exactly
/// the last version + 1), the rest dropped.
/// </summary>
public sealed class HubWatcher : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly HubConnection _connection;
    private readonly Channel<JsonElement> _inbox = Channel.CreateUnbounded<JsonElement>();
    private long _version;

    private HubWatcher(HubConnection connection)
    {
        _connection = connection;
        _connection.On<JsonElement>("watchlistChanged", m => _inbox.Writer.TryWrite(m.Clone()));
    }

    public Dictionary<string, JsonElement> Rows { get; } = new(StringComparer.Ordinal);

    /// <summary>Every message applied, in order.</summary>
    public List<JsonElement> Applied { get; } = [];

    public long SnapshotVersion { get; private set; }

    public static async Task<HubWatcher> SubscribeAsync(WebApplicationFactory<Program> factory, string key, string watchlistId)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(factory.Server.BaseAddress, "/hubs/watchlists"), o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(key);
                o.HttpMessageHandlerFactory = _ => factory.Server.CreateHandler();
                o.Transports = HttpTransportType.LongPolling; // TestServer has no WebSocket listener
            })
            .Build();
        var watcher = new HubWatcher(connection);
        using var cts = new CancellationTokenSource(Patience);
        await connection.StartAsync(cts.Token);
        var snapshot = await connection.InvokeAsync<JsonElement>("Subscribe", watchlistId, cts.Token);
        Assert.Equal(watchlistId, snapshot.GetProperty("watchlistId").GetString());
        watcher._version = watcher.SnapshotVersion = snapshot.GetProperty("version").GetInt64();
        foreach (var e in snapshot.GetProperty("entries").EnumerateArray())
        {
            watcher.Rows[e.GetProperty("accountId").GetString()!] = e.Clone();
        }
        return watcher;
    }

    /// <summary>Applies messages until <paramref name="done"/> holds for the rows; fails after 20 s.</summary>
    public async Task WaitUntilAsync(Func<IReadOnlyDictionary<string, JsonElement>, bool> done, string what)
    {
        using var cts = new CancellationTokenSource(Patience);
        while (!done(Rows))
        {
            JsonElement message;
            try
            {
                do
                {
                    message = await _inbox.Reader.ReadAsync(cts.Token);
                }
                while (message.GetProperty("version").GetInt64() <= _version);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Timed out waiting for {what}; applied: {string.Join(" | ", Applied.Select(m => m.GetRawText()))}");
                throw;
            }
            long version = message.GetProperty("version").GetInt64();
            Assert.True(version == _version + 1, $"version gap: expected {_version + 1}, got {message.GetRawText()}");
            _version = version;
            foreach (var change in message.GetProperty("changes").EnumerateArray())
            {
                string id = change.GetProperty("accountId").GetString()!;
                if (change.GetProperty("op").GetString() == "upsert")
                {
                    Rows[id] = change.GetProperty("entry").Clone();
                }
                else
                {
                    Assert.Equal("remove", change.GetProperty("op").GetString());
                    Assert.True(Rows.Remove(id), $"remove of {id}, which the client does not hold");
                }
            }
            Applied.Add(message);
        }
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
