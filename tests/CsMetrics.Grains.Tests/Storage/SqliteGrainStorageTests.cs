using CsMetrics.Grains.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Serialization.Serializers;
using Orleans.Storage;
using Orleans.TestingHost;

namespace CsMetrics.Grains.Tests.Storage;

[GenerateSerializer]
public sealed class TestHealthState
{
    [Id(0)] public string Customer { get; set; } = string.Empty;
    [Id(1)] public double Score { get; set; }
    [Id(2)] public List<int> Samples { get; set; } = [];
}

public interface ISqliteStorageProbeGrain : IGrainWithStringKey
{
    Task Save(double score);
    Task<double> Load();
}

public sealed class SqliteStorageProbeGrain(
    [PersistentState("health", SqliteGrainStorageTests.SiloProvider)] IPersistentState<TestHealthState> state)
    : Grain, ISqliteStorageProbeGrain
{
    public Task Save(double score)
    {
        state.State.Score = score;
        return state.WriteStateAsync();
    }

    public Task<double> Load() => Task.FromResult(state.State.Score);
}

public sealed class SqliteGrainStorageTests : IDisposable
{
    public const string SiloProvider = "sqlite";
    private const string StateName = "health";
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "csm-gs-" + Guid.NewGuid().ToString("N"));
    private readonly ServiceProvider _services;
    private readonly IGrainStorageSerializer _serializer;
    private readonly IActivatorProvider _activators;

    public SqliteGrainStorageTests()
    {
        _services = new ServiceCollection()
            .AddSerializer(b => b.AddAssembly(typeof(TestHealthState).Assembly))
            .BuildServiceProvider();
        _serializer = new OrleansGrainStorageSerializer(_services.GetRequiredService<Serializer>());
        _activators = _services.GetRequiredService<IActivatorProvider>();
    }

    // Nested directory proves the provider creates it.
    private string DatabasePath => Path.Combine(_directory, "nested", "grains.db");

    private SqliteGrainStorage Open(string provider = "store", bool deleteOnClear = true) => new(
        provider,
        new SqliteGrainStorageOptions { DatabasePath = DatabasePath, GrainStorageSerializer = _serializer, DeleteStateOnClear = deleteOnClear },
        _activators,
        NullLogger<SqliteGrainStorage>.Instance);

    private static GrainId Grain(string key) => GrainId.Create("customer", key);

    [Fact]
    public async Task Write_then_read_through_a_reopened_instance_round_trips()
    {
        var written = new GrainState<TestHealthState>(new TestHealthState { Customer = "acme", Score = 87.5, Samples = [1, 2, 3] });
        using (var storage = Open())
        {
            await storage.WriteStateAsync(StateName, Grain("acme"), written);
        }

        Assert.NotNull(written.ETag);
        Assert.True(written.RecordExists);

        using var reopened = Open();
        var read = new GrainState<TestHealthState>();
        await reopened.ReadStateAsync(StateName, Grain("acme"), read);

        Assert.True(read.RecordExists);
        Assert.Equal(written.ETag, read.ETag);
        Assert.Equal("acme", read.State!.Customer);
        Assert.Equal(87.5, read.State!.Score);
        Assert.Equal([1, 2, 3], read.State!.Samples);

        // The read etag allows the next write after restart.
        read.State!.Score = 90;
        await reopened.WriteStateAsync(StateName, Grain("acme"), read);
        Assert.NotEqual(written.ETag, read.ETag);
    }

    [Fact]
    public async Task Reading_a_missing_record_yields_a_new_state()
    {
        using var storage = Open();
        var state = new GrainState<TestHealthState>();
        await storage.ReadStateAsync(StateName, Grain("nobody"), state);

        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        Assert.NotNull(state.State);
        Assert.Equal(string.Empty, state.State!.Customer);
    }

    [Fact]
    public async Task Stale_etag_write_raises_InconsistentStateException()
    {
        using var storage = Open();
        var first = new GrainState<TestHealthState>(new TestHealthState { Score = 1 });
        await storage.WriteStateAsync(StateName, Grain("g"), first);

        var a = new GrainState<TestHealthState>();
        var b = new GrainState<TestHealthState>();
        await storage.ReadStateAsync(StateName, Grain("g"), a);
        await storage.ReadStateAsync(StateName, Grain("g"), b);

        a.State!.Score = 2;
        await storage.WriteStateAsync(StateName, Grain("g"), a);

        b.State!.Score = 3;
        var ex = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, Grain("g"), b));
        Assert.Equal(a.ETag, ex.StoredEtag);

        var check = new GrainState<TestHealthState>();
        await storage.ReadStateAsync(StateName, Grain("g"), check);
        Assert.Equal(2, check.State!.Score);
    }

    [Fact]
    public async Task Insert_with_null_etag_over_an_existing_record_conflicts()
    {
        using var storage = Open();
        await storage.WriteStateAsync(StateName, Grain("g"), new GrainState<TestHealthState>(new TestHealthState()));

        await Assert.ThrowsAsync<InconsistentStateException>(
            () => storage.WriteStateAsync(StateName, Grain("g"), new GrainState<TestHealthState>(new TestHealthState())));
    }

    [Fact]
    public async Task Clear_deletes_the_record_and_allows_a_fresh_write()
    {
        using (var storage = Open())
        {
            var state = new GrainState<TestHealthState>(new TestHealthState { Score = 5 });
            await storage.WriteStateAsync(StateName, Grain("g"), state);
            var stale = new GrainState<TestHealthState>(new TestHealthState(), state.ETag);

            await storage.ClearStateAsync(StateName, Grain("g"), state);
            Assert.False(state.RecordExists);
            Assert.Null(state.ETag);

            // A stale holder of the old etag can neither clear nor write.
            await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(StateName, Grain("g"), stale));
            await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, Grain("g"), stale));

            // Clearing a record that does not exist with no etag is a no-op.
            await storage.ClearStateAsync(StateName, Grain("g"), state);
        }

        using (var reopened = Open())
        {
            var read = new GrainState<TestHealthState>();
            await reopened.ReadStateAsync(StateName, Grain("g"), read);
            Assert.False(read.RecordExists);
            Assert.Null(read.ETag);

            read.State!.Score = 6;
            await reopened.WriteStateAsync(StateName, Grain("g"), read);
            Assert.True(read.RecordExists);
        }

        using var db = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        db.Open();
        using var count = db.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM grain_state";
        Assert.Equal(1L, (long)count.ExecuteScalar()!);
    }

    [Fact]
    public async Task Clear_without_delete_keeps_a_tombstone_with_a_new_etag()
    {
        using var storage = Open(deleteOnClear: false);
        var state = new GrainState<TestHealthState>(new TestHealthState { Score = 5 });
        await storage.WriteStateAsync(StateName, Grain("g"), state);
        var staleEtag = state.ETag;

        await storage.ClearStateAsync(StateName, Grain("g"), state);
        Assert.False(state.RecordExists);
        Assert.NotNull(state.ETag);
        Assert.NotEqual(staleEtag, state.ETag);

        var read = new GrainState<TestHealthState>();
        await storage.ReadStateAsync(StateName, Grain("g"), read);
        Assert.False(read.RecordExists);
        Assert.Equal(state.ETag, read.ETag);

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(
            StateName, Grain("g"), new GrainState<TestHealthState>(new TestHealthState(), staleEtag)));
        await storage.WriteStateAsync(StateName, Grain("g"), read);
        Assert.True(read.RecordExists);
    }

    [Fact]
    public async Task Providers_and_state_names_are_isolated_in_one_file()
    {
        using var a = Open("a");
        using var b = Open("b");
        await a.WriteStateAsync(StateName, Grain("g"), new GrainState<TestHealthState>(new TestHealthState { Score = 1 }));
        await b.WriteStateAsync(StateName, Grain("g"), new GrainState<TestHealthState>(new TestHealthState { Score = 2 }));
        await a.WriteStateAsync("other", Grain("g"), new GrainState<TestHealthState>(new TestHealthState { Score = 3 }));

        async Task<double> Score(SqliteGrainStorage s, string stateName)
        {
            var st = new GrainState<TestHealthState>();
            await s.ReadStateAsync(stateName, Grain("g"), st);
            return st.State!.Score;
        }

        Assert.Equal(1, await Score(a, StateName));
        Assert.Equal(2, await Score(b, StateName));
        Assert.Equal(3, await Score(a, "other"));
    }

    [Fact]
    public async Task Concurrent_writes_from_many_grains_all_persist()
    {
        const int Grains = 48;
        const int WritesPerGrain = 25;
        using (var storage = Open())
        {
            await Task.WhenAll(Enumerable.Range(0, Grains).Select(i => Task.Run(async () =>
            {
                var state = new GrainState<TestHealthState>(new TestHealthState { Customer = $"c{i}" });
                for (var w = 1; w <= WritesPerGrain; w++)
                {
                    state.State!.Score = w;
                    await storage.WriteStateAsync(StateName, Grain($"c{i}"), state);
                    if (w % 5 == 0)
                    {
                        var probe = new GrainState<TestHealthState>();
                        await storage.ReadStateAsync(StateName, Grain($"c{i}"), probe);
                        Assert.Equal(w, probe.State!.Score);
                    }
                }
            })));
        }

        using var reopened = Open();
        for (var i = 0; i < Grains; i++)
        {
            var read = new GrainState<TestHealthState>();
            await reopened.ReadStateAsync(StateName, Grain($"c{i}"), read);
            Assert.Equal($"c{i}", read.State!.Customer);
            Assert.Equal(WritesPerGrain, read.State!.Score);
        }
    }

    [Fact]
    public async Task Registration_resolves_a_keyed_provider_with_the_DI_serializer()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSerializer(b => b.AddAssembly(typeof(TestHealthState).Assembly));
        services.AddSingleton<IGrainStorageSerializer, OrleansGrainStorageSerializer>();
        services.AddSqliteGrainStorage("registered", DatabasePath, o => o.SynchronousFull = true);

        await using (var provider = services.BuildServiceProvider())
        {
            var storage = provider.GetRequiredKeyedService<IGrainStorage>("registered");
            Assert.IsType<SqliteGrainStorage>(storage);
            await storage.WriteStateAsync(StateName, Grain("r"), new GrainState<TestHealthState>(new TestHealthState { Score = 42 }));
        }

        using var reopened = Open("registered");
        var read = new GrainState<TestHealthState>();
        await reopened.ReadStateAsync(StateName, Grain("r"), read);
        Assert.Equal(42, read.State!.Score);
    }

    [Fact]
    public async Task Silo_registration_persists_grain_state_across_a_cluster_restart()
    {
        async Task<InProcessTestCluster> Start()
        {
            var builder = new InProcessTestClusterBuilder(1);
            builder.ConfigureSilo((_, silo) => silo.AddSqliteGrainStorage(SiloProvider, DatabasePath));
            var cluster = builder.Build();
            await cluster.DeployAsync();
            return cluster;
        }

        await using (var cluster = await Start())
        {
            await cluster.Client.GetGrain<ISqliteStorageProbeGrain>("acme").Save(71.5);
        }

        await using var restarted = await Start();
        Assert.Equal(71.5, await restarted.Client.GetGrain<ISqliteStorageProbeGrain>("acme").Load());
    }

    [Fact]
    public void Etags_are_unique_over_100k_concurrent_calls_and_keep_the_guid_shape()
    {
        const int Count = 100_000;
        var etags = new string[Count];
        Parallel.For(0, Count, i => etags[i] = SqliteGrainStorage.NewEtag());

        Assert.Equal(Count, etags.Distinct(StringComparer.Ordinal).Count());
        Assert.All(etags, e => Assert.Matches("^[0-9a-f]{32}$", e));
    }

    public void Dispose()
    {
        _services.Dispose();
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
