using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Index;
using CsMetrics.Contracts.Signals;
using CsMetrics.Contracts.Watchlists;
using CsMetrics.Grains.Sweeps;
using CsMetrics.Grains.Tests.Cluster;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace CsMetrics.Grains.Tests.Time;

/// <summary>
/// An in-process cluster for the "time" tests: the shared fixture's setup (fake clock for grains
/// and CsMetrics services, default scorecard, in-memory grain storage, a sweep interval so long
/// that the background sweep never re-scores anything by itself), plus one difference: grain
/// timers run on real time. The only grain timer is the watchlist grain's 5–15 ms coalescing
/// flush; on the fake clock it would fire only when a test moves the clock, so a watchlist
/// snapshot would lag behind its members. Time for accounts still moves only with
/// <see cref="Time"/>.
/// </summary>
/// <remarks>
/// Tests that change cluster-wide state (a scorecard activation) or count what a sweep touched
/// get a cluster of their own (a subclass as class fixture); the rest share one collection.
/// </remarks>
public class TimeClusterFixture : IAsyncLifetime
{
    public static readonly DateTimeOffset Start = new(2025, 6, 2, 12, 0, 0, TimeSpan.Zero);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "csm-time-" + Guid.NewGuid().ToString("N"));

    public FakeTimeProvider Time { get; } = new(Start);

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    protected virtual short SiloCount => 2;

    public IServiceProvider Silo(int index) => Cluster.Silos[index].ServiceProvider;

    public IAccountGrain Account(string id) => Client.GetGrain<IAccountGrain>(id);

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        var builder = new InProcessTestClusterBuilder(SiloCount);
        builder.ConfigureSilo((options, silo) =>
        {
            silo.AddMemoryGrainStorage("accounts");
            silo.AddMemoryGrainStorage("index");
            ClusterFixture.ConfigureCore(silo, Time, Path.Combine(_directory, options.SiloName + "-ingest.db"));
            UseRealTimeForGrainTimers(silo);
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    /// <summary>Registered after ConfigureCore's UseTimeProviderForBackgroundAreas: the last keyed registration wins.</summary>
    public static void UseRealTimeForGrainTimers(ISiloBuilder silo) =>
        silo.Services.AddKeyedSingleton<TimeProvider>(Orleans.Runtime.TimeProviderNames.Grains, (_, _) => TimeProvider.System);

    /// <summary>Moves the clock to <paramref name="hour"/>:00:05 UTC of the next day, so a test's minutes and days start clean.</summary>
    public DateTimeOffset AdvanceToNextDay(int hour = 12)
    {
        var now = Time.GetUtcNow();
        var target = new DateTimeOffset(now.UtcDateTime.Date.AddDays(1).AddHours(hour).AddSeconds(5), TimeSpan.Zero);
        Time.Advance(target - now);
        return Time.GetUtcNow();
    }

    /// <summary>A sweeper like the silo's, with its own interval and chunk size, driven by the test.</summary>
    public SilenceSweeper Sweeper(TimeSpan interval, int chunkSize = 1000) => new(
        Client,
        Options.Create(new SweepOptions { Interval = interval, ChunkSize = chunkSize }),
        Time,
        NullLogger<SilenceSweeper>.Instance);

    /// <summary>The account's entry in its index shard (null if it has not reported yet).</summary>
    public async Task<IndexEntry?> IndexEntry(string accountId)
    {
        var all = new WatchlistDefinition("all", "all", new WatchlistFilter(), "score", WatchlistDefinition.MaxLimit, BuiltIn: false);
        var entries = await Client.GetGrain<IAccountIndexShard>(AccountIndex.ShardOf(accountId)).Match(all);
        return entries.SingleOrDefault(e => e.AccountId == accountId);
    }

    /// <summary>Re-reads the index entry until it satisfies <paramref name="done"/> (index reports are one-way).</summary>
    public Task<IndexEntry?> IndexEntryWhen(string accountId, Func<IndexEntry, bool> done) =>
        Poll.Until(() => IndexEntry(accountId), e => e is not null && done(e));

    public async Task<WatchlistEntry[]> Watchlist(string id) =>
        (await Client.GetGrain<IWatchlistGrain>(id).GetSnapshot())!.Entries;

    /// <summary>Re-reads a watchlist's published entries until <paramref name="done"/> holds (updates are one-way and coalesced).</summary>
    public Task<WatchlistEntry[]> WatchlistWhen(string id, Func<WatchlistEntry[], bool> done) =>
        Poll.Until(() => Watchlist(id), done);

    /// <summary>Every shard's entry count.</summary>
    public async Task<int> IndexedAccounts() =>
        (await Task.WhenAll(Enumerable.Range(0, AccountIndex.ShardCount).Select(s => Client.GetGrain<IAccountIndexShard>(s).Count()))).Sum();

    public Task DisposeAsync() => ClusterFixture.StopAndDeleteAsync(Cluster, _directory);
}

[CollectionDefinition(Name)]
public sealed class TimeClusterCollection : ICollectionFixture<TimeClusterFixture>
{
    public const string Name = "time cluster";
}

/// <summary>A cluster of its own for the sweep tests: they count what a sweep touched.</summary>
public sealed class SweepClusterFixture : TimeClusterFixture;

/// <summary>A cluster of its own for the scorecard tests: activating a version changes every account.</summary>
public sealed class ScorecardClusterFixture : TimeClusterFixture;

/// <summary>Accounts in known states (default scorecard, no seats).</summary>
public static class Scenario
{
    /// <summary>
    /// One usage event of reports.export: engagement 100 (trend 100, silence 100), adoption 25
    /// (one of four key features): (100·30 + 25·20) / 50 = 70, green.
    /// </summary>
    public static Task<ApplyResult> UsedToday(IAccountGrain grain, string id, DateTimeOffset at, string signalId = "u1") =>
        grain.Apply(Sig.Batch(Sig.Usage(id, signalId, at, "alice", "reports.export")));
}

/// <summary>A cluster of its own for the calibration tests: a report covers every account in the cluster.</summary>
public sealed class CalibrationClusterFixture : TimeClusterFixture;
