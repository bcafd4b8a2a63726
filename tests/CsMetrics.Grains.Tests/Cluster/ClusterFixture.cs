using CsMetrics.Contracts.Accounts;
using CsMetrics.Grains.Ingest;
using CsMetrics.Grains.Scorecards;
using CsMetrics.Scoring.Scorecards;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace CsMetrics.Grains.Tests.Cluster;

/// <summary>
/// A two-silo in-process cluster shared by the grain tests: in-memory grain storage, a SQLite
/// ingest log per silo on a temp file, the default scorecard, and one <see cref="FakeTimeProvider"/>
/// for both silos' grain-facing time. Orleans' own background loops (membership, messaging,
/// activation collection) stay on real time so that moving the fake clock by days does not make
/// the silos suspect each other. Tests use fresh Guid account ids, so they never see each other's
/// accounts; the clock only ever moves forward, so tests take "now" from <see cref="Time"/>.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public const int SiloCount = 2;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "csm-cluster-" + Guid.NewGuid().ToString("N"));

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 6, 2, 12, 0, 0, TimeSpan.Zero));

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

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
            ConfigureCore(silo, Time, Path.Combine(_directory, options.SiloName + "-ingest.db"));
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    /// <summary>What every test silo shares: the fake clock, the default scorecard, an ingest log, the CsMetrics services.</summary>
    public static void ConfigureCore(ISiloBuilder silo, FakeTimeProvider time, string ingestLogPath)
    {
        ConfigureClockAndScorecard(silo, time);
        silo.Services.AddSingleton<IIngestLog>(_ => new SqliteIngestLog(ingestLogPath));
        silo.AddCsMetricsCore();
    }

    /// <summary>
    /// The fake clock for grains and CsMetrics services (Orleans' background loops keep real time)
    /// and the default scorecard. Registered before AddCsMetricsCore, whose TryAdd calls keep them.
    /// </summary>
    public static void ConfigureClockAndScorecard(ISiloBuilder silo, FakeTimeProvider time)
    {
        silo.Services.AddSingleton<TimeProvider>(time);
        silo.Services.UseTimeProviderForBackgroundAreas(TimeProvider.System);
        silo.Services.AddSingleton(DefaultScorecard.CreateRegistry());
        // Publish portfolio facts after every batch: the tests read the portfolio right after ingest.
        silo.Services.Configure<CsMetrics.Grains.Accounts.MetricsPublishOptions>(o => o.PublishWindow = TimeSpan.Zero);
        // The hourly sweep would re-score accounts whenever a test moves the fake clock; tests
        // about sweeping drive it explicitly (SilenceSweeper.SweepOnceAsync) instead.
        silo.Services.Configure<CsMetrics.Grains.Sweeps.SweepOptions>(o => o.Interval = TimeSpan.FromDays(3650));
    }

    /// <summary>
    /// One silo in the embedded (production) configuration: SQLite state and ingest log under
    /// <paramref name="dataDir"/>, so tests can stop it and start it again on the same data.
    /// </summary>
    public static async Task<InProcessTestCluster> StartEmbeddedAsync(string dataDir, FakeTimeProvider time, Action<ISiloBuilder>? configure = null)
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            ConfigureClockAndScorecard(silo, time);
            silo.AddCsMetricsEmbedded(dataDir);
            configure?.Invoke(silo);
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    public Task DisposeAsync() => StopAndDeleteAsync(Cluster, _directory);

    /// <summary>Stops a test cluster and removes its files (SQLite pools hold them open until cleared).</summary>
    public static async Task StopAndDeleteAsync(InProcessTestCluster? cluster, string directory)
    {
        if (cluster is not null)
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}

/// <summary>The repository's default scorecard (config/scorecard.default.json).</summary>
public static class DefaultScorecard
{
    private static readonly Lazy<string> JsonText = new(() => File.ReadAllText(Path.Combine(RepositoryRoot(), "config", "scorecard.default.json")));

    public static string Json => JsonText.Value;

    public static Scorecard Parse() => ScorecardParser.Parse(Json);

    public static ScorecardRegistry CreateRegistry() => new(Parse(), Json);

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CsMetrics.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"No CsMetrics.sln above {AppContext.BaseDirectory}.");
    }
}

public static class Poll
{
    /// <summary>
    /// Re-reads until <paramref name="done"/> holds and returns that value; fails the test when it
    /// still does not hold after 10 s (real time). Returning the last value instead let a test whose
    /// caller forgot to assert pass with the feature broken. For one-way messages (index reports)
    /// only: the fake clock is never moved by waiting.
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
            if (watch.Elapsed > TimeSpan.FromSeconds(10))
            {
                throw new Xunit.Sdk.XunitException($"Still not as expected after 10 s; last read: {Describe(value)}");
            }
            await Task.Delay(20);
        }
    }

    private static string Describe<T>(T value) => value switch
    {
        null => "null",
        System.Collections.IEnumerable items and not string => $"[{string.Join(", ", items.Cast<object?>().Take(20))}]",
        _ => value.ToString() ?? "",
    };
}
