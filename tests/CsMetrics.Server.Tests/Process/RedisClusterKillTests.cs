using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsMetrics.Server.Tests.Support;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Xunit.Abstractions;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Process;

/// <summary>
/// Cluster mode's durability proof (docs/durability.md), with a real redis-server and three real
/// server processes: a producer streams batches to node 1, a SignalR watcher follows a watchlist
/// on node 3, and node 2 (hosting its share of the accounts, placed at random) is SIGKILLed
/// mid-stream. Membership drops it; its accounts come back on the other nodes from their last
/// checkpoint and node 1 replays its log for them; the producer re-sends what got no 202. In the
/// end every account's counts and score equal those of a single embedded node that received
/// every batch once, the watcher kept receiving updates after the kill, and /readyz turns 503
/// when Redis goes away.
/// </summary>
public sealed class RedisClusterKillTests(ITestOutputHelper output) : IDisposable
{
    private const int BatchCount = 60;
    private const int SignalsPerBatch = 100;
    private const int AccountCount = 40;
    private const int Senders = 3;
    private const int KillAfterAcks = 20;
    private const string Owner = "cluster-proof";

    private readonly TempDirectory _dataDir = new("csmetrics-cluster");
    private readonly TempDirectory _referenceDir = new("csmetrics-cluster-ref");
    private readonly ServerGroup _group = new(output);

    [Fact]
    public Task Three_nodes_on_Redis_survive_a_SIGKILL_mid_stream_with_exact_counts_scores_and_a_live_watcher() => _group.RunAsync(async () =>
    {
        await using var redis = await RedisServerProcess.StartAsync();
        var clusterEnvironment = new Dictionary<string, string>
        {
            ["CSMETRICS_REDIS"] = redis.ConfigurationString,
            ["CSMETRICS_CLUSTER_ID"] = $"test-{Guid.NewGuid():N}",
            // Checkpoints often (so node 2 dies between them with applied, unwritten state) and a
            // quick death declaration, so the test does not wait on production timeouts.
            ["CsMetrics__Checkpoint__Interval"] = "00:00:00.500",
            ["CsMetrics__ProbeTimeout"] = "00:00:01",
            ["CsMetrics__Cluster__Heartbeat"] = "00:00:00.500",
            ["CsMetrics__Cluster__OrphanAfter"] = "00:00:05",
        };
        var nodes = new ServerProcess[3];
        for (int i = 0; i < nodes.Length; i++)
        {
            var environment = new Dictionary<string, string>(clusterEnvironment) { ["CSMETRICS_NODE_NAME"] = $"node{i + 1}" };
            nodes[i] = await _group.StartAsync($"node {i + 1}", Path.Combine(_dataDir.Path, $"node{i + 1}"), environment);
        }

        var accounts = Enumerable.Range(0, AccountCount).Select(i => NewAccountId($"rck{i:00}")).ToArray();
        var (batches, expected) = StreamWorkload.Generate(accounts, BatchCount, SignalsPerBatch, "rck");
        string watchlist = $"wl-{Guid.NewGuid():N}";
        // Not part of the stream: changed after the kill, to show the watcher still gets deltas.
        string probe = NewAccountId("rck-probe");
        using (var admin = nodes[0].Client(Keys.Admin))
        {
            foreach (var id in accounts.Append(probe))
            {
                await admin.RegisterAsync(id, owner: Owner);
            }
            using var put = await admin.PutAsJsonAsync($"/api/v1/watchlists/{watchlist}", new { name = "Cluster proof", filter = new { owner = Owner }, limit = 100 });
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        // ---- The watcher on node 3: counts every delta, re-subscribes when versions jump (a
        // watchlist grain that lived on node 2 comes back with a new version base, by design).
        await using var watcher = await Watcher.ConnectAsync(nodes[2].BaseAddress, watchlist);

        // ---- Stream to node 1; SIGKILL node 2 once enough batches got their 202.
        var acked = new bool[BatchCount];
        int next = -1, ackCount = 0, failed = 0;
        var enoughAcks = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (var producer = nodes[0].Client(Keys.Ingest))
        {
            async Task SendLoop()
            {
                while (true)
                {
                    int i = Interlocked.Increment(ref next);
                    if (i >= BatchCount)
                    {
                        return;
                    }
                    try
                    {
                        using var response = await producer.PostSignalsAsync(batches[i]);
                        if (response.StatusCode == HttpStatusCode.Accepted)
                        {
                            acked[i] = true;
                            if (Interlocked.Increment(ref ackCount) >= KillAfterAcks)
                            {
                                enoughAcks.TrySetResult();
                            }
                        }
                        else
                        {
                            // Grains on the dying node cannot be reached until membership drops it:
                            // the producer re-sends later, as a real one does after a 5xx.
                            Interlocked.Increment(ref failed);
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                    {
                        Interlocked.Increment(ref failed);
                    }
                    await Task.Delay(50);
                }
            }

            var senders = Enumerable.Range(0, Senders).Select(_ => Task.Run(SendLoop)).ToArray();
            await enoughAcks.Task.WaitAsync(ServerProcess.Timeout);
            int deltasBeforeKill = watcher.Deltas;
            Assert.True(deltasBeforeKill > 0, "the watcher on node 3 received nothing before the kill");
            await nodes[1].KillAsync();
            int ackedAtKill = Volatile.Read(ref ackCount);
            var killedAt = DateTime.UtcNow;
            await Task.WhenAll(senders).WaitAsync(TimeSpan.FromMinutes(3));
            output.WriteLine($"node 2 killed after {ackedAtKill} acknowledged batches; stream ended with {ackCount} acknowledged, {failed} failed");
        }

        // ---- Re-send every batch that got no 202 until it does (membership may still be settling).
        using (var producer = nodes[0].Client(Keys.Ingest))
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            foreach (int i in Enumerable.Range(0, BatchCount).Where(i => !acked[i]))
            {
                while (true)
                {
                    using var response = await producer.PostSignalsAsync(batches[i]);
                    if (response.StatusCode == HttpStatusCode.Accepted)
                    {
                        break;
                    }
                    Assert.True(DateTime.UtcNow < deadline, $"batch {i} still refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    await Task.Delay(250);
                }
            }
        }

        // ---- Reference: one embedded node receives every batch once.
        var reference = await _group.StartAsync("reference", _referenceDir.Path);
        using (var client = reference.Client(Keys.Admin))
        {
            foreach (var id in accounts)
            {
                await client.RegisterAsync(id, owner: Owner);
            }
            for (int i = 0; i < BatchCount; i++)
            {
                Assert.Equal((SignalsPerBatch, 0), await client.IngestAsync(batches[i]));
            }
        }

        // ---- Every account, read through node 3, converges to exactly the reference.
        using var survivor = nodes[2].Client(Keys.Read);
        using var fresh = reference.Client(Keys.Read);
        var settle = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        foreach (var id in accounts)
        {
            var once = (await fresh.GetAccountAsync(id))!;
            Assert.True(expected[id] == once.Counts(), $"{id}: expected counts {expected[id]}, reference has {once.Counts()}");
            while (true)
            {
                var after = (await survivor.GetAccountAsync(id))!;
                bool same = expected[id] == after.Counts()
                    && JsonNode.DeepEquals(once["health"]!["score"], after["health"]!["score"])
                    && JsonNode.DeepEquals(once["health"]!["band"], after["health"]!["band"]);
                if (same)
                {
                    break;
                }
                Assert.True(DateTime.UtcNow < settle,
                    $"{id}: expected counts {expected[id]}, cluster has {after.Counts()}; reference health {once["health"]!.ToJsonString()}, cluster health {after["health"]!.ToJsonString()}");
                await Task.Delay(250);
            }
        }

        // ---- The watcher kept receiving: the probe account changes until a delta reaches node 3's
        // client (its watchlist grain, the push directory or both may have lived on node 2).
        var watchDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        using (var producer = nodes[0].Client(Keys.Ingest))
        {
            for (int i = 0; watcher.DeltasAfter(nodes[1].ExitedAt) == 0; i++)
            {
                Assert.True(DateTime.UtcNow < watchDeadline, $"the watcher on node 3 received nothing after the kill ({watcher.Deltas} deltas in all, {watcher.Resubscribes} re-subscribes)");
                // Churned, then paying again, alternately: every probe moves the score. (A rising
                // MRR saturates the revenue score after a few probes; if those few fell in the
                // seconds the watchlist path needed to come back, later probes changed nothing.)
                Assert.Equal((1, 0), await producer.IngestAsync(Batch(Revenue(probe, i % 2 == 0 ? 0 : 1000, at: DateTimeOffset.UtcNow.AddSeconds(-1)))));
                await Task.Delay(500);
            }
        }
        output.WriteLine($"watcher: {watcher.Deltas} deltas, {watcher.DeltasAfter(nodes[1].ExitedAt)} after the kill, {watcher.Resubscribes} re-subscribes");
        output.WriteLine("node 1: " + string.Join(" | ", nodes[0].Output.Split('\n').Where(l => l.Contains("replay", StringComparison.OrdinalIgnoreCase) || l.Contains("came back", StringComparison.Ordinal)).Take(4)));

        // ---- /readyz speaks for Redis: ready while it answers, 503 once it is gone.
        using var probeClient = nodes[0].Client(null);
        using (var ready = await probeClient.GetAsync("/readyz"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }
        await redis.DisposeAsync();
        var unreachableDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            using var ready = await probeClient.GetAsync("/readyz");
            if (ready.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                Assert.Contains("redis unreachable", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
                break;
            }
            Assert.True(DateTime.UtcNow < unreachableDeadline, "/readyz stayed 200 with Redis gone");
            await Task.Delay(200);
        }
    });

    public void Dispose()
    {
        _dataDir.Dispose();
        _referenceDir.Dispose();
    }

    /// <summary>A dashboard-like SignalR client over a real WebSocket.</summary>
    private sealed class Watcher : IAsyncDisposable
    {
        private readonly HubConnection _connection;
        private readonly string _watchlist;
        private readonly ConcurrentQueue<DateTime> _arrivals = new();
        private long _version;
        private int _resubscribes;
        private readonly SemaphoreSlim _resubscribing = new(1, 1);

        private Watcher(HubConnection connection, string watchlist)
        {
            _connection = connection;
            _watchlist = watchlist;
        }

        public int Deltas => _arrivals.Count;

        public int Resubscribes => Volatile.Read(ref _resubscribes);

        public int DeltasAfter(DateTime when) => _arrivals.Count(a => a > when);

        public static async Task<Watcher> ConnectAsync(Uri node, string watchlist)
        {
            var connection = new HubConnectionBuilder()
                .WithUrl(new Uri(node, "/hubs/watchlists"), o =>
                {
                    o.AccessTokenProvider = () => Task.FromResult<string?>(Keys.Read);
                    o.Transports = HttpTransportType.WebSockets;
                    o.SkipNegotiation = true;
                })
                .Build();
            var watcher = new Watcher(connection, watchlist);
            connection.On<JsonElement>("watchlistChanged", watcher.OnChanged);
            await connection.StartAsync();
            await watcher.SubscribeAsync();
            return watcher;
        }

        private async Task SubscribeAsync()
        {
            var snapshot = await _connection.InvokeAsync<JsonElement>("Subscribe", _watchlist);
            Interlocked.Exchange(ref _version, snapshot.GetProperty("version").GetInt64());
        }

        private async Task OnChanged(JsonElement message)
        {
            if (message.GetProperty("watchlistId").GetString() != _watchlist)
            {
                return;
            }
            long version = message.GetProperty("version").GetInt64();
            long known = Interlocked.Read(ref _version);
            if (version <= known)
            {
                return; // already in the snapshot
            }
            _arrivals.Enqueue(DateTime.UtcNow);
            if (version == known + 1)
            {
                Interlocked.Exchange(ref _version, version);
                return;
            }
            // A gap: what the dashboard does, take a fresh snapshot.
            await _resubscribing.WaitAsync();
            try
            {
                Interlocked.Increment(ref _resubscribes);
                await SubscribeAsync();
            }
            finally
            {
                _resubscribing.Release();
            }
        }

        public async ValueTask DisposeAsync() => await _connection.DisposeAsync();
    }
}
