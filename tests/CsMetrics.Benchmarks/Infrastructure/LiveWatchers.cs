using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using CsMetrics.Scoring.Signals;
using Microsoft.AspNetCore.SignalR.Client;

namespace CsMetrics.Benchmarks.Infrastructure;

/// <summary>
/// The live path end to end: accounts registered to owners, one watchlist per owner, SignalR
/// watchers subscribed to them, and a sender whose every signal visibly changes its account (an
/// urgent ticket opens, then is solved: the support component moves). Latency runs from the
/// moment the ingest response for a signal arrived to the moment each watcher receives the
/// delta showing it — matched by the entry's explanation ("urgent ticket T-7 solved: …"), so a
/// late delta is measured against its own signal, not a newer one; a delta that beats its
/// ingest response counts as 0 ms.
/// </summary>
public sealed partial class LiveWatchers : IAsyncDisposable
{
    [System.Text.RegularExpressions.GeneratedRegex(@"ticket T-(\d+) (opened|solved)")]
    private static partial System.Text.RegularExpressions.Regex TicketStep();

    private readonly BenchServer _server;
    private readonly HttpClient _client;
    private readonly List<HubConnection> _connections = [];
    private readonly string[] _accounts;
    private readonly int[] _ticketOf;
    // Per account and step: the Stopwatch timestamp of its ingest response (absent while in flight).
    private readonly ConcurrentDictionary<(int Account, int Step), long> _respondedAt = new();
    private readonly Dictionary<string, int> _indexOf;
    // Per watcher and account: the newest step already timed (a watcher's handler runs one message at a time).
    private int[][] _timedStep = [];
    private long _deliveries;
    private long _firstDeliveryAt;
    private long _lastDeliveryAt;

    private LiveWatchers(BenchServer server, string prefix, int accounts)
    {
        _server = server;
        _client = server.Client();
        _accounts = Enumerable.Range(0, accounts).Select(i => $"{prefix}-{i:00000}").ToArray();
        _indexOf = _accounts.Select((a, i) => (a, i)).ToDictionary(x => x.a, x => x.i, StringComparer.Ordinal);
        _ticketOf = new int[accounts];
    }

    public LogLinearHistogram Latency { get; private set; } = new();

    public long Deliveries => Interlocked.Read(ref _deliveries);

    /// <summary>Registers <paramref name="accounts"/> accounts spread over <paramref name="watchlists"/> owners, one watchlist each, and gives every account a first score.</summary>
    public static async Task<LiveWatchers> CreateAsync(BenchServer server, string prefix, int accounts, int watchlists)
    {
        var live = new LiveWatchers(server, prefix, accounts);
        await Parallel.ForEachAsync(Enumerable.Range(0, accounts), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            using var response = await live._client.PutAsJsonAsync($"/api/v1/accounts/{live._accounts[i]}",
                new { name = live._accounts[i], owner = Owner(prefix, i % watchlists), segment = "smb", seats = 25, renewalDate = "2027-06-01" }, ct);
            await live.EnsureOkAsync(response, $"registering {live._accounts[i]}");
        });
        for (int w = 0; w < watchlists; w++)
        {
            using var response = await live._client.PutAsJsonAsync($"/api/v1/watchlists/{WatchlistId(prefix, w)}",
                new { name = $"{prefix} {w}", filter = new { owner = Owner(prefix, w) }, sort = "score", limit = 1000 });
            await live.EnsureOkAsync(response, $"defining watchlist {w}");
        }
        var now = DateTimeOffset.UtcNow.AddMinutes(-1);
        foreach (var chunk in Enumerable.Range(0, accounts).Chunk(500))
        {
            var first = chunk.Select(i => new Signal { Id = $"{live._accounts[i]}-first", AccountId = live._accounts[i], Type = SignalType.Usage, Timestamp = now, UserId = "u1", Feature = "reports.view" }).ToArray();
            await HttpIngestLoad.PostAsync(live._client, HttpIngestLoad.IngestPath, SignalWorkload.ToJsonBatch(first));
        }
        return live;
    }

    /// <summary>A failed set-up call names the server's answer and its last log lines, not only the status.</summary>
    private async Task EnsureOkAsync(HttpResponseMessage response, string what)
    {
        if (!response.IsSuccessStatusCode)
        {
            string body = await response.Content.ReadAsStringAsync();
            throw new InvalidOperationException($"{what}: {(int)response.StatusCode} {body}\nserver output (last lines):\n{_server.Output}");
        }
    }

    public static string WatchlistId(string prefix, int w) => $"{prefix}-{w}";

    private static string Owner(string prefix, int w) => $"{prefix}-csm-{w}";

    /// <summary>Connects <paramref name="perWatchlist"/> watchers to each watchlist (connections opened <paramref name="parallel"/> at a time).</summary>
    public async Task ConnectAsync(string prefix, int watchlists, int perWatchlist, int parallel = 16)
    {
        var slots = Enumerable.Range(0, watchlists * perWatchlist).ToArray();
        var connections = new HubConnection[slots.Length];
        _timedStep = slots.Select(_ => new int[_accounts.Length]).ToArray();
        await Parallel.ForEachAsync(slots, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (watcher, ct) =>
        {
            var connection = new HubConnectionBuilder()
                .WithUrl(new Uri(_server.BaseAddress, "/hubs/watchlists"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(BenchServer.Key))
                .Build();
            connection.On<JsonElement>("watchlistChanged", message => Received(watcher, message));
            await connection.StartAsync(ct);
            await connection.InvokeAsync<JsonElement>("Subscribe", WatchlistId(prefix, watcher % watchlists), ct);
            connections[watcher] = connection;
        });
        _connections.AddRange(connections);
    }

    /// <summary>Sends <paramref name="signalsPerSecond"/> for <paramref name="duration"/> in batches every 10 ms; returns the seconds from the first send to the last delivery settling.</summary>
    public async Task<double> RunAsync(int signalsPerSecond, TimeSpan duration)
    {
        Latency = new LogLinearHistogram();
        Interlocked.Exchange(ref _deliveries, 0);
        Interlocked.Exchange(ref _firstDeliveryAt, 0);
        Interlocked.Exchange(ref _lastDeliveryAt, 0);
        const int batchesPerSecond = 100;
        int cursor = 0;
        await FixedRateLoad.RunAsync(batchesPerSecond, duration, async (batch, _) =>
        {
            // Batch i carries the signals due between i and i+1 hundredths of a second (110/s: one or two).
            int perBatch = (int)((batch + 1) * signalsPerSecond / batchesPerSecond - batch * signalsPerSecond / batchesPerSecond);
            if (perBatch == 0)
            {
                return;
            }
            // Consecutive accounts round-robin: an account is touched again only after all others.
            int first = Interlocked.Add(ref cursor, perBatch) - perBatch;
            var indexes = Enumerable.Range(first, perBatch).Select(i => i % _accounts.Length).ToArray();
            var steps = indexes.Select(i => Interlocked.Increment(ref _ticketOf[i])).ToArray();
            var signals = indexes.Select((account, k) => SignalFor(account, steps[k])).ToArray();
            await HttpIngestLoad.PostAsync(_client, HttpIngestLoad.IngestPath, SignalWorkload.ToJsonBatch(signals));
            long at = Stopwatch.GetTimestamp();
            for (int k = 0; k < indexes.Length; k++)
            {
                _respondedAt[(indexes[k], steps[k])] = at;
            }
        });
        // Deliveries still travelling (coalescing window, queues) count toward the run.
        long last = -1;
        while (Deliveries != last)
        {
            last = Deliveries;
            await Task.Delay(300);
        }
        // The time over which this run's deliveries arrived: the rate the watchers were fed at.
        return Stopwatch.GetElapsedTime(Interlocked.Read(ref _firstDeliveryAt), Interlocked.Read(ref _lastDeliveryAt)).TotalSeconds;
    }

    /// <summary>Odd steps open urgent ticket T-(step+1)/2, even steps solve it: every signal changes the score.</summary>
    private Signal SignalFor(int i, int step)
    {
        return new Signal
        {
            Id = $"{_accounts[i]}-s{step}", AccountId = _accounts[i], Type = SignalType.Ticket, Timestamp = DateTimeOffset.UtcNow,
            TicketId = $"T-{(step + 1) / 2}", TicketStatus = step % 2 == 1 ? TicketStatus.Opened : TicketStatus.Solved, Priority = TicketPriority.Urgent,
        };
    }

    private void Received(int watcher, JsonElement message)
    {
        long now = Stopwatch.GetTimestamp();
        foreach (var change in message.GetProperty("changes").EnumerateArray())
        {
            if (!_indexOf.TryGetValue(change.GetProperty("accountId").GetString()!, out int account))
            {
                continue;
            }
            Interlocked.Increment(ref _deliveries);
            Interlocked.CompareExchange(ref _firstDeliveryAt, now, 0);
            for (long seen = Interlocked.Read(ref _lastDeliveryAt); now > seen; seen = Interlocked.Read(ref _lastDeliveryAt))
            {
                if (Interlocked.CompareExchange(ref _lastDeliveryAt, now, seen) == seen)
                {
                    break;
                }
            }
            if (!change.TryGetProperty("entry", out var entry) || entry.ValueKind != JsonValueKind.Object
                || !entry.TryGetProperty("reason", out var reason) || TicketStep().Match(reason.GetString() ?? "") is not { Success: true } match)
            {
                continue; // a removal, or the first usage signal: not one of the timed signals
            }
            int ticket = int.Parse(match.Groups[1].ValueSpan, System.Globalization.CultureInfo.InvariantCulture);
            int step = match.Groups[2].ValueSpan is "opened" ? 2 * ticket - 1 : 2 * ticket;
            // Each watcher times each signal once (a later delta may repeat the same explanation).
            if (step <= _timedStep[watcher][account])
            {
                continue;
            }
            _timedStep[watcher][account] = step;
            Latency.RecordMilliseconds(_respondedAt.TryGetValue((account, step), out long responded)
                ? Stopwatch.GetElapsedTime(responded, now).TotalMilliseconds
                : 0);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_connections.Select(c => c.DisposeAsync().AsTask()));
        _client.Dispose();
    }
}
