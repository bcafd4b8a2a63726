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
    public void The_writer_keeps_a_page_cache_of_the_configured_size()
    {
        using (var store = Open())
        {
            Assert.Equal(-64 * 1024, store.WriterCacheSize());
        }
        using var small = new SqliteGrainStorage(
            "small",
            new SqliteGrainStorageOptions { DatabasePath = DatabasePath, GrainStorageSerializer = _serializer, WriterCacheMegabytes = 3 },
            _activators,
            NullLogger<SqliteGrainStorage>.Instance);
        Assert.Equal(-3 * 1024, small.WriterCacheSize());
        Assert.Throws<ArgumentOutOfRangeException>(() => new SqliteGrainStorage(
            "none",
            new SqliteGrainStorageOptions { DatabasePath = DatabasePath, GrainStorageSerializer = _serializer, WriterCacheMegabytes = 0 },
            _activators,
            NullLogger<SqliteGrainStorage>.Instance));
    }

    [Fact]
    public void Blobs_made_by_the_Orleans_serializer_directly_are_the_bytes_its_storage_serializer_makes()
    {
        var shared = new List<int> { 4, 5, 6 };
        TestHealthState[] states =
        [
            new() { Customer = "acme", Score = 87.5, Samples = [1, 2, 3] },
            new(),
            new() { Customer = new string('x', 100_000), Score = -1, Samples = shared },
        ];
        using var direct = new SqliteGrainStorage(
            "direct",
            new SqliteGrainStorageOptions { DatabasePath = DatabasePath, GrainStorageSerializer = _serializer },
            _activators,
            NullLogger<SqliteGrainStorage>.Instance,
            _services.GetRequiredService<Serializer>());
        using var viaInterface = Open("via-interface");
        Assert.True(direct.SerializesDirectly);
        Assert.False(viaInterface.SerializesDirectly);
        foreach (var state in states)
        {
            byte[] expected = _serializer.Serialize(state).ToArray();
            Assert.Equal(expected, direct.Serialize(state));
            Assert.Equal(expected, viaInterface.Serialize(state));
        }
    }

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
    public async Task Reads_reuse_their_connections_across_many_concurrent_callers_and_stop_at_dispose()
    {
        var storage = Open();
        await storage.WriteStateAsync(StateName, Grain("kept"), new GrainState<TestHealthState>(new TestHealthState { Score = 7 }));
        // More concurrent readers than connections kept idle: each gets the record, in every round.
        for (int round = 0; round < 3; round++)
        {
            var scores = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => Task.Run(async () =>
            {
                var state = new GrainState<TestHealthState>();
                await storage.ReadStateAsync(StateName, Grain("kept"), state);
                return state.State!.Score;
            })));
            Assert.All(scores, s => Assert.Equal(7, s));
        }
        storage.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => storage.ReadStateAsync(StateName, Grain("kept"), new GrainState<TestHealthState>()));
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
            // Orleans' own storage serializer from DI: blobs are made by its serializer directly.
            Assert.True(Assert.IsType<SqliteGrainStorage>(storage).SerializesDirectly);
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

    // Holds the file's writer lock while the operations queue, so the drainer finds all of them pending at once.
    private static async Task<Task[]> InOneGroup(SqliteGrainStorage storage, params Func<Task>[] operations)
    {
        await storage.Writer.Lock.WaitAsync();
        Task[] tasks;
        try
        {
            tasks = [.. operations.Select(o => o())];
            Assert.All(tasks, t => Assert.False(t.IsCompleted));
        }
        finally
        {
            storage.Writer.Lock.Release();
        }
        await Task.WhenAll(tasks).ContinueWith(_ => { }, TaskScheduler.Default);
        return tasks;
    }

    private static async Task<GrainState<TestHealthState>> ReadAsync(SqliteGrainStorage storage, string key)
    {
        var state = new GrainState<TestHealthState>();
        await storage.ReadStateAsync(StateName, Grain(key), state);
        return state;
    }

    private static async Task<GrainState<TestHealthState>> WrittenAsync(SqliteGrainStorage storage, string key, double score)
    {
        var state = new GrainState<TestHealthState>(new TestHealthState { Customer = key, Score = score });
        await storage.WriteStateAsync(StateName, Grain(key), state);
        return state;
    }

    [Fact]
    public async Task Queued_writes_of_many_grains_commit_in_groups_of_at_most_256_and_all_read_back()
    {
        const int Count = 600;
        using var storage = Open();
        var states = Enumerable.Range(0, Count)
            .Select(i => new GrainState<TestHealthState>(new TestHealthState { Customer = $"c{i}", Score = i }))
            .ToArray();
        long before = storage.Writer.Transactions;

        var tasks = await InOneGroup(storage, [.. states.Select((s, i) => (Func<Task>)(() => storage.WriteStateAsync(StateName, Grain($"c{i}"), s)))]);

        Assert.All(tasks, t => Assert.True(t.IsCompletedSuccessfully));
        Assert.Equal(3, storage.Writer.Transactions - before); // 256 + 256 + 88
        using var reopened = Open();
        for (var i = 0; i < Count; i++)
        {
            var read = await ReadAsync(reopened, $"c{i}");
            Assert.True(read.RecordExists);
            Assert.Equal(states[i].ETag, read.ETag);
            Assert.Equal($"c{i}", read.State!.Customer);
            Assert.Equal(i, read.State!.Score);
        }
    }

    [Fact]
    public async Task An_etag_conflict_in_a_group_fails_only_that_write()
    {
        using var storage = Open();
        var a = await WrittenAsync(storage, "a", 1);
        var b = await WrittenAsync(storage, "b", 1);
        var c = await WrittenAsync(storage, "c", 1);
        var bStored = b.ETag;
        var staleB = new GrainState<TestHealthState>(new TestHealthState { Score = 2 }, "not-the-etag");
        long before = storage.Writer.Transactions;

        a.State!.Score = 2;
        var tasks = await InOneGroup(storage,
            () => storage.WriteStateAsync(StateName, Grain("a"), a),
            () => storage.WriteStateAsync(StateName, Grain("b"), staleB),
            () => storage.ClearStateAsync(StateName, Grain("c"), c));

        Assert.True(tasks[0].IsCompletedSuccessfully);
        var conflict = Assert.IsType<InconsistentStateException>(tasks[1].Exception!.InnerException);
        Assert.Equal(bStored, conflict.StoredEtag);
        Assert.Equal("not-the-etag", conflict.CurrentEtag);
        Assert.Equal("not-the-etag", staleB.ETag); // a failed write leaves the caller's state alone
        Assert.True(tasks[2].IsCompletedSuccessfully);
        Assert.Equal(1, storage.Writer.Transactions - before);

        var readA = await ReadAsync(storage, "a");
        Assert.Equal(2, readA.State!.Score);
        Assert.Equal(a.ETag, readA.ETag);
        var readB = await ReadAsync(storage, "b");
        Assert.Equal(1, readB.State!.Score);
        Assert.Equal(bStored, readB.ETag);
        Assert.False((await ReadAsync(storage, "c")).RecordExists);
    }

    [Fact]
    public async Task Two_writes_of_one_key_in_a_group_apply_one_after_the_other()
    {
        using var storage = Open();
        var g = await WrittenAsync(storage, "g", 1);
        var h = await WrittenAsync(storage, "h", 1);
        var first = new GrainState<TestHealthState>(new TestHealthState { Score = 2 }, g.ETag);
        var second = new GrainState<TestHealthState>(new TestHealthState { Score = 3 }, g.ETag);
        var fresh = new GrainState<TestHealthState>(new TestHealthState { Score = 4 });
        long before = storage.Writer.Transactions;

        var tasks = await InOneGroup(storage,
            () => storage.WriteStateAsync(StateName, Grain("g"), first),
            () => storage.WriteStateAsync(StateName, Grain("g"), second),
            // A clear then an insert (null etag) of one key: the insert only succeeds if it sees the delete.
            () => storage.ClearStateAsync(StateName, Grain("h"), h),
            () => storage.WriteStateAsync(StateName, Grain("h"), fresh));

        Assert.Equal(1, storage.Writer.Transactions - before);
        Assert.True(tasks[0].IsCompletedSuccessfully);
        var conflict = Assert.IsType<InconsistentStateException>(tasks[1].Exception!.InnerException);
        Assert.Equal(first.ETag, conflict.StoredEtag); // the second saw the first's etag
        Assert.True(tasks[2].IsCompletedSuccessfully);
        Assert.True(tasks[3].IsCompletedSuccessfully);

        var readG = await ReadAsync(storage, "g");
        Assert.Equal(2, readG.State!.Score);
        Assert.Equal(first.ETag, readG.ETag);
        var readH = await ReadAsync(storage, "h");
        Assert.Equal(4, readH.State!.Score);
        Assert.Equal(fresh.ETag, readH.ETag);
    }

    [Fact]
    public async Task A_failed_commit_fails_every_write_of_the_group_and_applies_none()
    {
        using var storage = Open();
        var a = await WrittenAsync(storage, "a", 1);
        var aStored = a.ETag;
        long before = storage.Writer.Transactions;

        // A commit hook that vetoes turns the group's COMMIT into SQLITE_CONSTRAINT_COMMITHOOK and a rollback.
        SQLitePCL.raw.sqlite3_commit_hook(storage.WriterConnection.Handle, static _ => 1, null);
        a.State!.Score = 2;
        var b = new GrainState<TestHealthState>(new TestHealthState { Score = 1 });
        var tasks = await InOneGroup(storage,
            () => storage.WriteStateAsync(StateName, Grain("a"), a),
            () => storage.WriteStateAsync(StateName, Grain("b"), b),
            () => storage.WriteStateAsync(StateName, Grain("c"), new GrainState<TestHealthState>(new TestHealthState(), "stale")));
        SQLitePCL.raw.sqlite3_commit_hook(storage.WriterConnection.Handle, null, null);

        var failure = Assert.IsType<SqliteException>(tasks[0].Exception!.InnerException);
        Assert.Equal(SQLitePCL.raw.SQLITE_CONSTRAINT, failure.SqliteErrorCode);
        Assert.All(tasks, t => Assert.Same(failure, t.Exception!.InnerException)); // the conflict too: nothing of the group happened
        Assert.Equal(0, storage.Writer.Transactions - before);
        Assert.Equal(aStored, a.ETag);
        Assert.Null(b.ETag);

        var readA = await ReadAsync(storage, "a");
        Assert.Equal(1, readA.State!.Score);
        Assert.Equal(aStored, readA.ETag);
        Assert.False((await ReadAsync(storage, "b")).RecordExists);

        // Rolled back cleanly: the same writes go through on the next group.
        await storage.WriteStateAsync(StateName, Grain("a"), a);
        await storage.WriteStateAsync(StateName, Grain("b"), b);
        Assert.Equal(2, (await ReadAsync(storage, "a")).State!.Score);
        Assert.True((await ReadAsync(storage, "b")).RecordExists);
    }

    private void AddTrigger(string raise) => ExecuteOnFile(
        $"CREATE TRIGGER poison BEFORE INSERT ON grain_state WHEN NEW.grain_id LIKE '%poison%' BEGIN SELECT RAISE({raise}, 'poisoned'); END");

    /// <summary>Runs SQL on the database file through a connection of its own (as another process would).</summary>
    private void ExecuteOnFile(string sql)
    {
        using var db = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    [Fact]
    public async Task An_error_that_rolls_back_the_transaction_fails_the_whole_group()
    {
        using var storage = Open();
        AddTrigger("ROLLBACK");
        long before = storage.Writer.Transactions;

        var tasks = await InOneGroup(storage,
            () => WrittenAsync(storage, "a", 1),
            () => WrittenAsync(storage, "poison", 1),
            () => WrittenAsync(storage, "c", 1));

        var failure = Assert.IsType<SqliteException>(tasks[1].Exception!.InnerException);
        Assert.Contains("poisoned", failure.Message);
        Assert.All(tasks, t => Assert.Same(failure, t.Exception!.InnerException));
        Assert.Equal(0, storage.Writer.Transactions - before);
        Assert.False((await ReadAsync(storage, "a")).RecordExists);
        Assert.False((await ReadAsync(storage, "c")).RecordExists);

        await WrittenAsync(storage, "a", 2);
        Assert.Equal(2, (await ReadAsync(storage, "a")).State!.Score);
    }

    [Fact]
    public async Task An_error_that_leaves_the_transaction_open_is_rolled_back_with_the_whole_group()
    {
        using var storage = Open();
        var a = await WrittenAsync(storage, "a", 1);
        var aStored = a.ETag;
        // An insert trigger whose body cannot compile: every insert fails with SQLITE_ERROR, which SQLite does not
        // confine to the statement nor roll back itself, so the group's earlier update must be rolled back by us.
        ExecuteOnFile("CREATE TRIGGER broken BEFORE INSERT ON grain_state BEGIN INSERT INTO missing_table VALUES(1); END");
        long before = storage.Writer.Transactions;

        a.State!.Score = 2;
        var tasks = await InOneGroup(storage,
            () => storage.WriteStateAsync(StateName, Grain("a"), a),
            () => WrittenAsync(storage, "b", 1));

        var failure = Assert.IsType<SqliteException>(tasks[1].Exception!.InnerException);
        Assert.Equal(SQLitePCL.raw.SQLITE_ERROR, failure.SqliteErrorCode);
        Assert.Same(failure, tasks[0].Exception!.InnerException);
        Assert.Equal(aStored, a.ETag);
        Assert.Equal(0, storage.Writer.Transactions - before);

        // The update of the next group commits alone, from the stored etag: the failed group left nothing behind.
        a.State!.Score = 3;
        await storage.WriteStateAsync(StateName, Grain("a"), a);
        var readA = await ReadAsync(storage, "a");
        Assert.Equal(3, readA.State!.Score);
        Assert.Equal(a.ETag, readA.ETag);
        Assert.False((await ReadAsync(storage, "b")).RecordExists);
    }

    [Fact]
    public async Task An_error_confined_to_its_statement_fails_only_that_write()
    {
        using var storage = Open();
        AddTrigger("ABORT");
        long before = storage.Writer.Transactions;

        var tasks = await InOneGroup(storage,
            () => WrittenAsync(storage, "a", 1),
            () => WrittenAsync(storage, "poison", 1),
            () => WrittenAsync(storage, "c", 1));

        Assert.True(tasks[0].IsCompletedSuccessfully);
        Assert.Contains("poisoned", Assert.IsType<SqliteException>(tasks[1].Exception!.InnerException).Message);
        Assert.True(tasks[2].IsCompletedSuccessfully);
        Assert.Equal(1, storage.Writer.Transactions - before);
        Assert.True((await ReadAsync(storage, "a")).RecordExists);
        Assert.False((await ReadAsync(storage, "poison")).RecordExists);
        Assert.True((await ReadAsync(storage, "c")).RecordExists);
    }

    [Fact]
    public async Task Cancelling_a_queued_write_withdraws_it()
    {
        using var storage = Open();
        using var cancel = new CancellationTokenSource();
        var withdrawn = new GrainState<TestHealthState>(new TestHealthState { Score = 1 });
        Task write;
        Task<GrainState<TestHealthState>> kept;

        await storage.Writer.Lock.WaitAsync();
        try
        {
            write = storage.WriteStateAsync(StateName, Grain("withdrawn"), withdrawn, cancel.Token);
            kept = WrittenAsync(storage, "kept", 1);
            Assert.False(write.IsCompleted);
            cancel.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => write);
        }
        finally
        {
            storage.Writer.Lock.Release();
        }

        Assert.NotNull((await kept).ETag);
        Assert.Null(withdrawn.ETag);
        Assert.False((await ReadAsync(storage, "withdrawn")).RecordExists);
        Assert.True((await ReadAsync(storage, "kept")).RecordExists);
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
