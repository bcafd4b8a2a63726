using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CsMetrics.Server.Hosting;
using CsMetrics.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace CsMetrics.Server.Tests.Fuzz;

/// <summary>
/// Bad input, tried at scale: 10,000+ generated hostile requests over every write endpoint, all
/// with an admin key so that authorization never hides a parsing problem. None may answer 5xx,
/// the server keeps serving and stays within a memory bound, and no refused request changes a
/// known account, watchlist, playbook or the scorecard.
/// </summary>
/// <remarks>
/// Deterministic: request <c>i</c> is made from its own Random seeded by (seed, i). The seed is
/// printed; set CSMETRICS_FUZZ_SEED to replay another run, CSMETRICS_FUZZ_REQUESTS to change the count.
/// </remarks>
[Collection(FuzzCollection.Name)]
public sealed class BadInputFuzzTests(ITestOutputHelper output)
{
    private const int DefaultSeed = 20_260_512;
    private const int DefaultRequests = 10_400;
    private const int Parallelism = 8;
    private const int ChunkSize = 800;
    private const long MemoryHeadroomBytes = 300L * 1024 * 1024;
    private const int FailuresShown = 15;

    private static readonly string[] KnownAccounts = ["kn-acct-alpha", "kn-acct-bravo", "kn-acct-charlie", "kn-acct-delta"];
    private static readonly string[] ThrowawayAccounts = Enumerable.Range(0, 12).Select(i => $"tw-acct-{i:00}").ToArray();
    private static readonly string[] KnownWatchlists = ["kn-wl-alpha", "kn-wl-bravo"];
    private static readonly string[] ThrowawayWatchlists = Enumerable.Range(0, 6).Select(i => $"tw-wl-{i:00}").ToArray();
    private static readonly string[] KnownPlaybooks = ["kn-pb-alpha", "kn-pb-bravo"];
    private static readonly string[] ThrowawayPlaybooks = Enumerable.Range(0, 6).Select(i => $"tw-pb-{i:00}").ToArray();

    /// <summary>
    /// The sweep would re-evaluate (and re-stamp) accounts on its own; with a day's interval it
    /// stays out of the way. Rate limits, where the server has them, are raised so the fuzz
    /// reaches the parsers instead of a 429.
    /// </summary>
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["CsMetrics:Sweep:Interval"] = "1.00:00:00",
        // RateLimitOptions: a token bucket per key; raised far above what the fuzz sends.
        ["CsMetrics:RateLimit:RequestsPerSecond"] = "1000000",
        ["CsMetrics:RateLimit:Burst"] = "1000000",
        // Zendesk webhooks are verified with this secret; the fuzz signs a share of its bodies with it.
        ["CsMetrics:Integrations:ZendeskSecret"] = FuzzPlan.ZendeskSecret,
    };

    [Fact]
    public async Task Bad_input_tried_at_scale_is_refused_without_a_5xx_and_changes_nothing_known()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("CSMETRICS_FUZZ_SEED"), CultureInfo.InvariantCulture, out int s) ? s : DefaultSeed;
        int requests = int.TryParse(Environment.GetEnvironmentVariable("CSMETRICS_FUZZ_REQUESTS"), CultureInfo.InvariantCulture, out int n) ? n : DefaultRequests;
        Log($"fuzz seed {seed} (CSMETRICS_FUZZ_SEED), {requests} requests, parallelism {Parallelism}");

        await using var factory = new CsMetricsFactory(settings: Settings);
        var admin = await Task.Run(() => factory.ClientWithKey(Keys.Admin));
        var anonymous = factory.CreateClient();
        await WaitHealthyAsync(anonymous);

        bool keysApi = await HasKeysApiAsync(admin);
        var world = await SeedAsync(admin, keysApi);
        var options = factory.Services.GetRequiredService<IOptions<CsMetricsOptions>>().Value;
        var json = factory.Services.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        var plan = new FuzzPlan(seed, world, new FuzzOracle(json, options.MaxRequestBodyBytes, options.MaxBatchSignals));
        Log($"endpoints fuzzed: {string.Join(", ", plan.Endpoints)}{(keysApi ? "" : " (no /api/v1/keys on this server)")}");

        var before = await StableSnapshotAsync(admin);
        long memoryBefore = MeasureMemory();

        var stats = new FuzzStats();
        var clock = Stopwatch.StartNew();
        for (int start = 0; start < requests; start += ChunkSize)
        {
            int count = Math.Min(ChunkSize, requests - start);
            await Parallel.ForEachAsync(Enumerable.Range(start, count), new ParallelOptions { MaxDegreeOfParallelism = Parallelism },
                async (i, _) => await SendOneAsync(admin, anonymous, plan, i, stats));
            // Still serving between chunks.
            using var health = await anonymous.GetAsync("/healthz");
            if (health.StatusCode != HttpStatusCode.OK)
            {
                stats.Fail($"/healthz answered {(int)health.StatusCode} after request {start + count}");
            }
        }
        clock.Stop();

        using (var health = await anonymous.GetAsync("/healthz"))
        {
            Assert.True(health.StatusCode == HttpStatusCode.OK, $"seed {seed}: /healthz answered {(int)health.StatusCode} at the end");
        }
        long memoryAfter = MeasureMemory();
        var after = await SnapshotAsync(admin);

        Log(stats.Report(clock.Elapsed, memoryBefore, memoryAfter));
        var gc = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        Log($"GC heap {gc.HeapSizeBytes / 1_048_576} MiB, of which fragmentation {gc.FragmentedBytes / 1_048_576} MiB; large object heap {gc.GenerationInfo[3].SizeAfterBytes / 1_048_576} MiB");

        // (1) No 5xx, no exception, no hang.
        Assert.True(stats.Failures.IsEmpty,
            $"seed {seed}: {stats.FailureCount} requests failed (5xx, exception or timeout); first ones:\n{string.Join("\n", stats.Failures.Take(FailuresShown))}");
        Assert.True(stats.Throttled == 0, $"seed {seed}: {stats.Throttled} requests were throttled (429): raise the rate limit in the fuzz's settings");

        // (3) Memory bounded. Most of what the run adds is large buffers that ArrayPool.Shared keeps
        // after the big bodies (JsonDocument and the JSON reader rent them); the pool trims them after
        // about a minute unused (measured: back to start + ~4 MiB). Growth past the bound is a leak.
        Assert.True(memoryAfter < memoryBefore + MemoryHeadroomBytes,
            $"seed {seed}: managed memory grew from {memoryBefore / 1_048_576} MiB to {memoryAfter / 1_048_576} MiB");

        // Every scorecard PUT was invalid by construction: all refused, the version did not move.
        Assert.True(stats.ScorecardAccepted.IsEmpty, $"seed {seed}: an invalid scorecard was accepted:\n{string.Join("\n", stats.ScorecardAccepted.Take(FailuresShown))}");
        Assert.Equal(before["scorecard"], after["scorecard"]);
        Assert.Equal(before["rescore"], after["rescore"]);

        // (4) Known accounts and watchlists: exactly as before (accounts a refused-for-sure request
        // was nevertheless accepted for are reported and left out; there must be none or few).
        var tainted = stats.Tainted.ToHashSet(StringComparer.Ordinal);
        Assert.True(KnownAccounts.Count(tainted.Contains) < KnownAccounts.Length, $"seed {seed}: every known account was changed by some request:\n{string.Join("\n", stats.Mismatches.Take(FailuresShown))}");
        foreach (var key in before.Keys.Where(k => k.StartsWith("account:", StringComparison.Ordinal) || k.StartsWith("history:", StringComparison.Ordinal)))
        {
            string id = key[(key.IndexOf(':', StringComparison.Ordinal) + 1)..];
            if (!tainted.Contains(id))
            {
                Assert.True(before[key] == after.GetValueOrDefault(key),
                    $"seed {seed}: {key} changed though every request aimed at it was refused.\nbefore: {before[key]}\nafter:  {after.GetValueOrDefault(key)}");
            }
        }
        if (tainted.Count == 0)
        {
            Assert.Equal(before["listing"], after["listing"]);
        }
        CompareWatchlists(seed, before, after, stats, tainted);

        // (5) Known playbooks (and their delivery logs): byte for byte as before; no request reached them but refused ones.
        foreach (var key in before.Keys.Where(k => k.StartsWith("playbook:", StringComparison.Ordinal) || k.StartsWith("deliveries:", StringComparison.Ordinal)))
        {
            Assert.True(before[key] == after.GetValueOrDefault(key),
                $"seed {seed}: {key} changed though every request aimed at it was refused.\nbefore: {before[key]}\nafter:  {after.GetValueOrDefault(key)}");
        }
        var acceptedOnKnown = stats.PutPlaybooks.Concat(stats.DeletedPlaybooks).Where(KnownPlaybooks.Contains).ToArray();
        Assert.True(acceptedOnKnown.Length == 0, $"seed {seed}: a write to a known playbook was accepted: {string.Join(", ", acceptedOnKnown)}");
    }

    // ---------------------------------------------------------------- one request

    private static async Task SendOneAsync(HttpClient admin, HttpClient anonymous, FuzzPlan plan, int index, FuzzStats stats)
    {
        FuzzRequest q;
        try
        {
            q = plan.Create(index);
        }
        catch (Exception ex)
        {
            stats.Fail($"#{index}: the generator failed: {ex}");
            return;
        }
        stats.Sent(q);
        var client = q.Anonymous ? anonymous : admin;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int status;
        try
        {
            using var message = q.ToMessage();
            using var response = await client.SendAsync(message, HttpCompletionOption.ResponseContentRead, timeout.Token);
            status = (int)response.StatusCode;
        }
        catch (Exception ex)
        {
            stats.Fail($"{(timeout.IsCancellationRequested ? "TIMEOUT" : "EXCEPTION " + ex.GetType().Name + ": " + FirstLine(ex.Message))} for {q.Describe()}");
            return;
        }
        stats.Answered(q, status);
    }

    private static string FirstLine(string s) => s.Split('\n')[0];

    // ---------------------------------------------------------------- known state

    private static async Task<FuzzWorld> SeedAsync(HttpClient admin, bool keysApi)
    {
        var now = DateTimeOffset.UtcNow;
        await admin.RegisterAsync("kn-acct-alpha", "Known Alpha", "kn-owner", "enterprise", 25, "2027-03-01");
        await admin.IngestAsync(SignalJson.Batch(
            SignalJson.Usage("kn-acct-alpha", userId: "ann"), SignalJson.Usage("kn-acct-alpha", userId: "bob", feature: "api.call", count: 7),
            SignalJson.Usage("kn-acct-alpha", userId: "cy", feature: "dashboards.create"), SignalJson.Ticket("kn-acct-alpha", ticketId: "K-1", priority: "high"),
            SignalJson.Survey("kn-acct-alpha", "nps", 9, respondentId: "r1"), SignalJson.Revenue("kn-acct-alpha", 1200m)));

        await admin.RegisterAsync("kn-acct-bravo", "Known Bravo", "kn-owner", "smb", 5);
        await admin.IngestAsync(SignalJson.Batch(
            SignalJson.Usage("kn-acct-bravo"), SignalJson.Survey("kn-acct-bravo", "nps", 3, respondentId: "r2"), SignalJson.Revenue("kn-acct-bravo", 500m)));
        using (var o = await admin.PutAsJsonAsync("/api/v1/accounts/kn-acct-bravo/override",
            new { band = "red", reason = "known override", expiresAt = now.AddDays(30) }))
        {
            Assert.Equal(HttpStatusCode.OK, o.StatusCode);
        }

        await admin.IngestAsync(SignalJson.Batch(SignalJson.Usage("kn-acct-charlie"), SignalJson.Ticket("kn-acct-charlie", ticketId: "C-1")));
        await admin.RegisterAsync("kn-acct-delta", "Known Delta", "kn-owner", "mid-market", 0);

        for (int i = 0; i < ThrowawayAccounts.Length; i++)
        {
            string id = ThrowawayAccounts[i];
            await admin.RegisterAsync(id, $"Throwaway {i}", "tw-owner", "smb", 10);
            await admin.IngestAsync(SignalJson.Batch(SignalJson.Usage(id), SignalJson.Survey(id, "nps", i % 11)));
            if (i < ThrowawayAccounts.Length / 2)
            {
                using var o = await admin.PutAsJsonAsync($"/api/v1/accounts/{id}/override", new { band = "yellow", reason = "throwaway", expiresAt = now.AddDays(10) });
                Assert.Equal(HttpStatusCode.OK, o.StatusCode);
            }
        }

        await PutWatchlistAsync(admin, "kn-wl-alpha", new { name = "Known alpha", filter = new { owner = "kn-owner" }, sort = "score", limit = 50 });
        await PutWatchlistAsync(admin, "kn-wl-bravo", new { name = "Known bravo", filter = new { bands = new[] { "red", "yellow" }, minScore = 0, maxScore = 90 }, sort = "drop7d", limit = 10 });
        foreach (var id in ThrowawayWatchlists)
        {
            await PutWatchlistAsync(admin, id, new { name = "Throwaway " + id, filter = new { owner = "tw-owner" }, sort = "score", limit = 20 });
        }

        var lists = await GetJsonAsync(admin, "/api/v1/watchlists");
        string[] builtIns = lists["watchlists"]!.AsArray().Where(w => w!["builtIn"]!.GetValue<bool>()).Select(w => w!["id"]!.GetValue<string>()).ToArray();
        Assert.NotEmpty(builtIns);

        string[] configuredKeys = ["env-1", "env-2", "env-3", "env-4"];
        if (keysApi)
        {
            var keys = await GetJsonAsync(admin, "/api/v1/keys");
            var ids = keys["keys"]?.AsArray().Select(k => k?["id"]?.GetValue<string>()).OfType<string>().ToArray();
            if (ids is { Length: > 0 })
            {
                configuredKeys = ids;
            }
        }

        // Playbooks: known ones must come out byte-identical; every one posts only to a closed loopback port.
        // no_usage over thousands of days never holds for a fuzzed account (signals that old are refused): they never fire.
        await PutPlaybookAsync(admin, "kn-pb-alpha", new { name = "Known alpha", trigger = new { type = "no_usage", days = 3660 }, action = new { type = "webhook", url = FuzzPlan.ClosedLoopbackUrl + "known-alpha" }, cooldownMinutes = 120 });
        await PutPlaybookAsync(admin, "kn-pb-bravo", new { name = "Known bravo", trigger = new { type = "no_usage", days = 3000 }, action = new { type = "slack", url = FuzzPlan.ClosedLoopbackUrl + "known-bravo" }, cooldownMinutes = 0 });
        foreach (var id in ThrowawayPlaybooks)
        {
            await PutPlaybookAsync(admin, id, new { name = "Throwaway " + id, trigger = new { type = "band_falls", to = "red" }, action = new { type = "webhook", url = FuzzPlan.ClosedLoopbackUrl + id } });
        }

        string scorecard = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "config", "scorecard.default.json"));
        return new FuzzWorld(admin.BaseAddress!, KnownAccounts, ThrowawayAccounts, KnownWatchlists, ThrowawayWatchlists, builtIns, configuredKeys, scorecard, keysApi, KnownPlaybooks, ThrowawayPlaybooks);
    }

    private static async Task PutWatchlistAsync(HttpClient admin, string id, object body)
    {
        using var response = await admin.PutAsJsonAsync($"/api/v1/watchlists/{id}", body);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"PUT watchlist {id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static async Task PutPlaybookAsync(HttpClient admin, string id, object body)
    {
        using var response = await admin.PutAsJsonAsync($"/api/v1/playbooks/{id}", body);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"PUT playbook {id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static async Task<bool> HasKeysApiAsync(HttpClient admin)
    {
        using var response = await admin.GetAsync("/api/v1/keys");
        return response.StatusCode == HttpStatusCode.OK;
    }

    private static async Task<JsonObject> GetJsonAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {url}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    private static async Task<string> GetTextAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {url}: {(int)response.StatusCode} {text}");
        return text;
    }

    /// <summary>Everything known, as the API shows it (raw response text, compared byte for byte).</summary>
    private static async Task<Dictionary<string, string>> SnapshotAsync(HttpClient admin)
    {
        var snapshot = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var id in KnownAccounts)
        {
            snapshot["account:" + id] = await GetTextAsync(admin, $"/api/v1/accounts/{id}");
            snapshot["history:" + id] = await GetTextAsync(admin, $"/api/v1/accounts/{id}/history?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z");
        }
        snapshot["listing"] = await GetTextAsync(admin, "/api/v1/accounts?owner=kn-owner&limit=1000");
        snapshot["scorecard"] = await GetTextAsync(admin, "/api/v1/scorecard");
        snapshot["rescore"] = await GetTextAsync(admin, "/api/v1/scorecard/rescore");
        var lists = JsonNode.Parse(await GetTextAsync(admin, "/api/v1/watchlists"))!["watchlists"]!.AsArray();
        foreach (var w in lists)
        {
            snapshot["watchlist:" + w!["id"]!.GetValue<string>()] = w.ToJsonString();
        }
        foreach (var id in KnownPlaybooks)
        {
            snapshot["playbook:" + id] = await GetTextAsync(admin, $"/api/v1/playbooks/{id}");
            snapshot["deliveries:" + id] = await GetTextAsync(admin, $"/api/v1/playbooks/{id}/deliveries");
        }
        return snapshot;
    }

    /// <summary>A snapshot taken once the seeding has settled (two reads in a row agree).</summary>
    private static async Task<Dictionary<string, string>> StableSnapshotAsync(HttpClient admin)
    {
        var previous = await SnapshotAsync(admin);
        for (int i = 0; i < 20; i++)
        {
            await Task.Delay(250);
            var next = await SnapshotAsync(admin);
            if (next.Count == previous.Count && next.All(kv => previous.TryGetValue(kv.Key, out var v) && v == kv.Value))
            {
                return next;
            }
            previous = next;
        }
        throw new InvalidOperationException("the seeded state did not settle");
    }

    private static void CompareWatchlists(int seed, Dictionary<string, string> before, Dictionary<string, string> after, FuzzStats stats, HashSet<string> tainted)
    {
        var put = stats.PutWatchlists.ToHashSet(StringComparer.Ordinal);
        var deleted = stats.DeletedWatchlists.ToHashSet(StringComparer.Ordinal);
        var beforeIds = before.Keys.Where(k => k.StartsWith("watchlist:", StringComparison.Ordinal)).Select(k => k["watchlist:".Length..]).ToHashSet(StringComparer.Ordinal);
        var afterIds = after.Keys.Where(k => k.StartsWith("watchlist:", StringComparison.Ordinal)).Select(k => k["watchlist:".Length..]).ToHashSet(StringComparer.Ordinal);

        var appeared = afterIds.Except(beforeIds).Where(id => !put.Contains(id)).ToArray();
        Assert.True(appeared.Length == 0, $"seed {seed}: watchlists appeared that no accepted PUT created: {string.Join(", ", appeared)}");
        var vanished = beforeIds.Except(afterIds).Where(id => !deleted.Contains(id)).ToArray();
        Assert.True(vanished.Length == 0, $"seed {seed}: watchlists vanished that no accepted DELETE removed: {string.Join(", ", vanished)}");
        foreach (var id in beforeIds.Intersect(afterIds).Where(id => !put.Contains(id) && !tainted.Contains(id)))
        {
            Assert.True(before["watchlist:" + id] == after["watchlist:" + id],
                $"seed {seed}: watchlist {id} changed though no PUT to it was accepted.\nbefore: {before["watchlist:" + id]}\nafter:  {after["watchlist:" + id]}");
        }
        foreach (var id in KnownWatchlists)
        {
            Assert.True(afterIds.Contains(id) && !put.Contains(id) && !deleted.Contains(id),
                $"seed {seed}: known watchlist {id} was changed or removed by the fuzz");
        }
    }

    // ---------------------------------------------------------------- plumbing

    private static async Task WaitHealthyAsync(HttpClient client)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            using var response = await client.GetAsync("/healthz");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return;
            }
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), "the server never became healthy");
            await Task.Delay(100);
        }
    }

    private static long MeasureMemory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private void Log(string text)
    {
        output.WriteLine(text);
        Console.WriteLine(text);
    }
}

/// <summary>
/// The fuzz runs alone (after the parallel collections): it measures the whole process's memory
/// and keeps both cores busy, so neither should be shared with other tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FuzzCollection
{
    public const string Name = "fuzz";
}

/// <summary>What the run saw, collected from many threads.</summary>
internal sealed class FuzzStats
{
    private readonly ConcurrentDictionary<FuzzEndpoint, int> _sent = new();
    private readonly ConcurrentDictionary<string, int> _statuses = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _mustRejectByEndpoint = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _knownTargeted = new(StringComparer.Ordinal);
    private int _failureCount;
    private int _throttled;

    public ConcurrentQueue<string> Failures { get; } = new();
    public ConcurrentQueue<string> Mismatches { get; } = new();
    public ConcurrentQueue<string> ScorecardAccepted { get; } = new();
    public ConcurrentBag<string> Tainted { get; } = [];
    public ConcurrentBag<string> PutWatchlists { get; } = [];
    public ConcurrentBag<string> DeletedWatchlists { get; } = [];
    public ConcurrentBag<string> PutPlaybooks { get; } = [];
    public ConcurrentBag<string> DeletedPlaybooks { get; } = [];

    public int FailureCount => Volatile.Read(ref _failureCount);
    public int Throttled => Volatile.Read(ref _throttled);

    public void Fail(string what)
    {
        if (Interlocked.Increment(ref _failureCount) <= 200)
        {
            Failures.Enqueue(what);
        }
    }

    public void Sent(FuzzRequest q) => _sent.AddOrUpdate(q.Intended, 1, (_, n) => n + 1);

    public void Answered(FuzzRequest q, int status)
    {
        string route = q.Effective?.ToString() ?? "no-write-route";
        _statuses.AddOrUpdate($"{route} {status}", 1, (_, n) => n + 1);
        if (q.MustReject)
        {
            _mustRejectByEndpoint.AddOrUpdate(route, 1, (_, n) => n + 1);
        }
        if (q.KnownTarget is not null)
        {
            _knownTargeted.AddOrUpdate(q.KnownTarget, 1, (_, n) => n + 1);
        }
        if (status >= 500)
        {
            Fail($"HTTP {status} for {q.Describe()}");
            return;
        }
        if (status == 429)
        {
            Interlocked.Increment(ref _throttled);
        }
        bool success = status is >= 200 and < 300;
        if (q.MustReject && status < 400)
        {
            Mismatches.Enqueue($"HTTP {status} for a request the oracle expected refused: {q.Describe()}");
            if (q.Effective == FuzzEndpoint.PutScorecard)
            {
                ScorecardAccepted.Enqueue($"HTTP {status} for {q.Describe()}");
            }
            if (q.KnownTarget is not null)
            {
                Tainted.Add(q.KnownTarget);
            }
        }
        if (success && q.EffectiveId is { } id)
        {
            switch (q.Effective)
            {
                case FuzzEndpoint.PutWatchlist:
                    PutWatchlists.Add(id);
                    break;
                case FuzzEndpoint.DeleteWatchlist:
                    DeletedWatchlists.Add(id);
                    break;
                case FuzzEndpoint.PutPlaybook:
                    PutPlaybooks.Add(id);
                    break;
                case FuzzEndpoint.DeletePlaybook:
                    DeletedPlaybooks.Add(id);
                    break;
            }
        }
    }

    public string Report(TimeSpan elapsed, long memoryBefore, long memoryAfter)
    {
        var sb = new StringBuilder();
        int total = _sent.Values.Sum();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{total} requests in {elapsed.TotalSeconds:0.0} s ({total / Math.Max(elapsed.TotalSeconds, 0.001):0} /s); managed memory {memoryBefore / 1_048_576} MiB -> {memoryAfter / 1_048_576} MiB");
        sb.AppendLine("requests per endpoint (as generated):");
        foreach (var (endpoint, n) in _sent.OrderBy(kv => kv.Key))
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"  {endpoint,-18} {n,6}");
        }
        sb.AppendLine("answers per endpoint reached (router's view) and status:");
        foreach (var (key, n) in _statuses.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"  {key,-24} {n,6}");
        }
        sb.AppendLine("requests the oracle was sure get refused, per endpoint: " + string.Join(", ", _mustRejectByEndpoint.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value}")));
        sb.AppendLine("refused-for-sure requests aimed at known accounts/watchlists: " + string.Join(", ", _knownTargeted.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value}")));
        sb.AppendLine(CultureInfo.InvariantCulture, $"accepted watchlist PUTs: {PutWatchlists.Count}, DELETEs: {DeletedWatchlists.Count}; accepted playbook PUTs: {PutPlaybooks.Count}, DELETEs: {DeletedPlaybooks.Count}; failures: {FailureCount}; oracle mismatches: {Mismatches.Count}; throttled: {Throttled}");
        foreach (var m in Mismatches.Take(10))
        {
            sb.AppendLine("  mismatch: " + m);
        }
        return sb.ToString();
    }
}
