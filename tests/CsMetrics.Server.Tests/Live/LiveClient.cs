using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR.Client;

namespace CsMetrics.Server.Tests.Live;

/// <summary>
/// A hub client that follows watchlists the way docs/watchlists.md tells clients to: every
/// <c>watchlistChanged</c> is kept from the moment the connection starts (so one that arrives
/// before the <c>Subscribe</c> result is not lost), then those with a version above the
/// snapshot's are applied in order and the rest dropped. It keeps each followed watchlist's
/// rows, and asserts on every applied message that the version is exactly the last one + 1.
/// </summary>
public sealed class LiveClient : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly HubConnection _connection;
    private readonly ConcurrentDictionary<string, Channel<JsonElement>> _inbox = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Followed> _followed = new(StringComparer.Ordinal);

    private LiveClient(HubConnection connection)
    {
        _connection = connection;
        _connection.On<JsonElement>("watchlistChanged", message =>
        {
            // Handlers run one at a time, in arrival order.
            string id = message.GetProperty("watchlistId").GetString()!;
            Inbox(id).Writer.TryWrite(message.Clone());
        });
    }

    /// <summary>Every message applied so far, per watchlist, in order.</summary>
    public IReadOnlyList<JsonElement> Applied(string watchlistId) => _followed[watchlistId].Applied;

    /// <summary>The watchlist's rows as the client sees them (snapshot + applied deltas).</summary>
    public IReadOnlyDictionary<string, JsonElement> Rows(string watchlistId) => _followed[watchlistId].Rows;

    public long Version(string watchlistId) => _followed[watchlistId].Version;

    public static HubConnection Build(WebApplicationFactory<Program> factory, string? key, string? query = null)
    {
        var url = new Uri(factory.Server.BaseAddress, "/hubs/watchlists" + query);
        return new HubConnectionBuilder()
            .WithUrl(url, o =>
            {
                if (key is not null)
                {
                    o.AccessTokenProvider = () => Task.FromResult<string?>(key);
                }
                o.HttpMessageHandlerFactory = _ => factory.Server.CreateHandler();
                // TestServer has no WebSocket listener behind an HttpMessageHandler.
                o.Transports = HttpTransportType.LongPolling;
            })
            .Build();
    }

    public static async Task<LiveClient> ConnectAsync(WebApplicationFactory<Program> factory, string key)
    {
        var client = new LiveClient(Build(factory, key));
        using var cts = new CancellationTokenSource(Patience);
        await client._connection.StartAsync(cts.Token);
        return client;
    }

    /// <summary>Subscribes and returns the snapshot; later messages are checked against its version.</summary>
    public async Task<JsonElement> SubscribeAsync(string watchlistId)
    {
        using var cts = new CancellationTokenSource(Patience);
        var snapshot = await _connection.InvokeAsync<JsonElement>("Subscribe", watchlistId, cts.Token);
        Assert.Equal(watchlistId, snapshot.GetProperty("watchlistId").GetString());
        var followed = new Followed(snapshot.GetProperty("version").GetInt64());
        foreach (var entry in snapshot.GetProperty("entries").EnumerateArray())
        {
            followed.Rows[entry.GetProperty("accountId").GetString()!] = entry.Clone();
        }
        _followed[watchlistId] = followed;
        return snapshot;
    }

    public async Task UnsubscribeAsync(string watchlistId)
    {
        using var cts = new CancellationTokenSource(Patience);
        await _connection.InvokeAsync("Unsubscribe", watchlistId, cts.Token);
    }

    public Task<T> InvokeAsync<T>(string method, params object?[] args) =>
        _connection.InvokeCoreAsync<T>(method, args, CancellationToken.None);

    /// <summary>
    /// Applies messages until <paramref name="done"/> holds for the rows; returns the messages
    /// applied on the way. Fails after <see cref="Patience"/>.
    /// </summary>
    public async Task<List<JsonElement>> WaitUntilAsync(string watchlistId, Func<IReadOnlyDictionary<string, JsonElement>, bool> done, string what, TimeSpan? timeout = null)
    {
        var followed = _followed[watchlistId];
        var applied = new List<JsonElement>();
        using var cts = new CancellationTokenSource(timeout ?? Patience);
        while (!done(followed.Rows))
        {
            JsonElement message;
            try
            {
                message = await NextRelevantAsync(watchlistId, followed, cts.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Timed out waiting for {what} on '{watchlistId}'. Applied {applied.Count} message(s) meanwhile: "
                    + string.Join(" | ", applied.Select(m => m.GetRawText())));
                throw;
            }
            Apply(followed, message);
            applied.Add(message);
        }
        return applied;
    }

    /// <summary>Asserts that no message for the watchlist (above the current version) arrives within <paramref name="quiet"/>.</summary>
    public async Task AssertQuietAsync(string watchlistId, TimeSpan quiet)
    {
        var followed = _followed[watchlistId];
        using var cts = new CancellationTokenSource(quiet);
        try
        {
            var message = await NextRelevantAsync(watchlistId, followed, cts.Token);
            Assert.Fail($"Expected no change on '{watchlistId}', got {message.GetRawText()}");
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Messages received for the watchlist and not yet applied (any version).</summary>
    public int Pending(string watchlistId) => Inbox(watchlistId).Reader.Count;

    private async Task<JsonElement> NextRelevantAsync(string watchlistId, Followed followed, CancellationToken ct)
    {
        while (true)
        {
            var message = await Inbox(watchlistId).Reader.ReadAsync(ct);
            if (message.GetProperty("version").GetInt64() > followed.Version)
            {
                return message;
            }
            // Already contained in the snapshot: dropped, as the protocol says.
        }
    }

    private static void Apply(Followed followed, JsonElement message)
    {
        long version = message.GetProperty("version").GetInt64();
        Assert.True(version == followed.Version + 1,
            $"version gap: expected {followed.Version + 1}, got {version}: {message.GetRawText()}");
        followed.Version = version;
        foreach (var change in message.GetProperty("changes").EnumerateArray())
        {
            string op = change.GetProperty("op").GetString()!;
            string accountId = change.GetProperty("accountId").GetString()!;
            var entry = change.GetProperty("entry");
            switch (op)
            {
                case "upsert":
                    Assert.Equal(JsonValueKind.Object, entry.ValueKind);
                    Assert.Equal(accountId, entry.GetProperty("accountId").GetString());
                    followed.Rows[accountId] = entry;
                    break;
                case "remove":
                    Assert.Equal(JsonValueKind.Null, entry.ValueKind);
                    Assert.True(followed.Rows.Remove(accountId), $"remove of {accountId}, which the client does not hold");
                    break;
                default:
                    Assert.Fail($"unknown op '{op}' in {message.GetRawText()}");
                    break;
            }
        }
        followed.Applied.Add(message);
    }

    private Channel<JsonElement> Inbox(string watchlistId) =>
        _inbox.GetOrAdd(watchlistId, _ => Channel.CreateUnbounded<JsonElement>(new() { SingleWriter = true }));

    public async ValueTask DisposeAsync() => await _connection.DisposeAsync();

    private sealed class Followed(long version)
    {
        public long Version { get; set; } = version;

        public Dictionary<string, JsonElement> Rows { get; } = new(StringComparer.Ordinal);

        public List<JsonElement> Applied { get; } = [];
    }
}

public static class LiveMessages
{
    /// <summary>The changes of <paramref name="accountId"/> in a list of messages.</summary>
    public static IEnumerable<JsonElement> ChangesOf(this IEnumerable<JsonElement> messages, string accountId) =>
        messages.SelectMany(m => m.GetProperty("changes").EnumerateArray())
            .Where(c => c.GetProperty("accountId").GetString() == accountId);

    public static double? Score(this JsonElement entry) =>
        entry.GetProperty("score").ValueKind == JsonValueKind.Null ? null : entry.GetProperty("score").GetDouble();

    public static string? Band(this JsonElement entry) => entry.GetProperty("band").GetString();
}
