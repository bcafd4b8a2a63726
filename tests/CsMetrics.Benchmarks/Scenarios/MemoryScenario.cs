using CsMetrics.Benchmarks.Infrastructure;
using CsMetrics.Contracts.Index;
using CsMetrics.Grains.Accounts;
using CsMetrics.Grains.Checkpoints;
using CsMetrics.Grains.Ingest;
using CsMetrics.Scoring.Signals;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace CsMetrics.Benchmarks.Scenarios;

/// <summary>
/// (5) Bytes per resident account: every account of the universe gets a realistic week of the
/// signal mix (users, features, tickets, survey answers, MRR, and the ids the dedup remembers),
/// through the real ingest path into an in-process silo. Managed heap after a full compacting GC
/// and the process working set, each as the growth over the idle silo, divided by the accounts.
/// Then the same accounts checkpointed: their state's serialized size (<c>stateBytesPerAccount</c>),
/// the information an account holds without any object around it.
/// </summary>
public static class MemoryScenario
{
    public static async Task RunAsync(BenchContext context)
    {
        int accounts = context.Workload.Accounts;
        int signalsPerAccount = context.Size(15, 15);
        using var dir = BenchContext.NewTempDirectory("memory");
        using var host = await InProcessSilo.StartAsync(dir.Path);
        try
        {
            var ingestor = host.Services.GetRequiredService<SignalIngestor>();
            var grains = host.Services.GetRequiredService<IGrainFactory>();
            // One account warms every code path the load uses, so JIT and pools are in the baseline.
            await ingestor.IngestAsync(SignalsFor(context, "warm-account", 0, signalsPerAccount).ToArray());
            long heapBefore = FullGcHeap();

            var started = System.Diagnostics.Stopwatch.StartNew();
            const int accountsPerChunk = 2000;
            for (int first = 0; first < accounts; first += accountsPerChunk)
            {
                var signals = Enumerable.Range(first, Math.Min(accountsPerChunk, accounts - first))
                    .SelectMany(a => SignalsFor(context, SignalWorkload.AccountId(a), a, signalsPerAccount)).ToArray();
                await EngineScenario.IngestAsync(ingestor, signals);
            }
            // Index updates are one-way messages: wait until every account is listed.
            while ((await Task.WhenAll(Enumerable.Range(0, AccountIndex.ShardCount).Select(s => grains.GetGrain<IAccountIndexShard>(s).Count()))).Sum() < accounts + 1)
            {
                await Task.Delay(200);
            }
            Console.WriteLine($"  loaded {accounts:N0} accounts × {signalsPerAccount} signals in {started.Elapsed.TotalSeconds:F1} s");

            long heapAfter = FullGcHeap();
            long workingSetAfter = Environment.WorkingSet;
            double managed = (double)(heapAfter - heapBefore) / accounts;
            // 1M accounts two ways: the managed heap per account (what the state itself holds), and
            // the whole process's working set per account (the runtime, SQLite's caches and what the
            // server GC commits beyond the live heap, all charged to the accounts; some of it would
            // not grow with them). Working-set growth over the load, reported before, was no bound at all: it
            // depends on what the GC had committed or given back by then (in the full suite it once
            // came out negative, earlier scenarios' memory being released during the load).
            double allIn = (double)workingSetAfter / accounts;
            context.Results.Record("bytesPerAccount", managed,
                $"managed heap after full GC at {accounts:N0} accounts × {signalsPerAccount} signals; whole process {workingSetAfter / 1024 / 1024:N0} MB of working set ({allIn:N0} B per account all-in); 1M accounts ≈ {managed * 1e6 / (1L << 30):F1} GB of managed heap, ≈ {allIn * 1e6 / (1L << 30):F1} GB of working set at the all-in rate");
            context.Results.Note("memory", $"of the {managed:N0} managed bytes per account, the scoring aggregates alone (AccountAggregates in a Dictionary, same signals) take {AggregatesOnly(context, accounts, signalsPerAccount):N0}; the rest is the grain (activation, state with recent signals and explained changes, index entry).");

            // The same state as the checkpoint writes it (Orleans' binary serializer, no object
            // overhead): how many of the bytes above are the account's information itself.
            await host.Services.GetRequiredService<Checkpointer>().CheckpointAsync();
            var (blobs, averageBlob) = await AccountBlobsAsync(Path.Combine(dir.Path, "state.db"));
            context.Results.Record("stateBytesPerAccount", averageBlob,
                $"the accounts' state as their checkpoint stores it (serialized, SQLite blob), average over {blobs:N0} accounts after the same load");
            var parts = await StatePartsAsync(host.Services.GetRequiredService<Orleans.Serialization.Serializer>(), Path.Combine(dir.Path, "state.db"), 2_000);
            context.Results.Note("memory", $"of the serialized state, by part (each serialized alone, average of {parts.Accounts:N0} accounts): {string.Join(", ", parts.Bytes.OrderByDescending(p => p.Value).Select(p => $"{p.Key} {p.Value:N0} B"))}");
        }
        finally
        {
            await host.StopAsync();
        }
    }

    /// <summary>The state database beside the running silo's own connections (WAL lets it read); unpooled, so nothing keeps the file open after.</summary>
    private static async Task<SqliteConnection> OpenReadOnlyAsync(string stateDb)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = stateDb, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<(long Count, double Average)> AccountBlobsAsync(string stateDb)
    {
        await using var connection = await OpenReadOnlyAsync(stateDb);
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT count(*), avg(length(data)) FROM grain_state WHERE provider = $provider";
        query.Parameters.AddWithValue("$provider", StorageNames.Accounts);
        await using var reader = await query.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetDouble(1));
    }

    /// <summary>
    /// Where a checkpointed account's bytes are: the first <paramref name="limit"/> accounts' state
    /// read back and its larger parts serialized one by one (each with its own type header, so the
    /// parts add up to a little more than the whole).
    /// </summary>
    private static async Task<(int Accounts, Dictionary<string, double> Bytes)> StatePartsAsync(Orleans.Serialization.Serializer serializer, string stateDb, int limit)
    {
        var totals = new Dictionary<string, long>();
        int accounts = 0;
        await using var connection = await OpenReadOnlyAsync(stateDb);
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT data FROM grain_state WHERE provider = $provider LIMIT $limit";
        query.Parameters.AddWithValue("$provider", StorageNames.Accounts);
        query.Parameters.AddWithValue("$limit", limit);
        await using var rows = await query.ExecuteReaderAsync();
        while (await rows.ReadAsync())
        {
            var state = serializer.Deserialize<AccountGrainState>(rows.GetFieldValue<byte[]>(0))!;
            accounts++;
            void Add(string part, object value) => totals[part] = totals.GetValueOrDefault(part) + serializer.SerializeToArray(value).Length;
            Add("aggregates", state.Aggregates ?? []);
            Add("latest signals", state.LatestSignals);
            Add("explained changes", state.RecentChanges);
            Add("components", state.Components);
            Add("score history", (state.DailyCloses, state.RecentPoints));
            Add("calibration", (state.CalibrationDays, state.CalibrationNames));
        }
        return (accounts, totals.ToDictionary(t => t.Key, t => (double)t.Value / Math.Max(1, accounts)));
    }

    /// <summary>The same accounts' aggregates without the engine: what the scoring state itself costs.</summary>
    private static double AggregatesOnly(BenchContext context, int accounts, int signalsPerAccount)
    {
        long before = FullGcHeap();
        var map = new Dictionary<string, CsMetrics.Scoring.Aggregates.AccountAggregates>(accounts, StringComparer.Ordinal);
        var now = DateTimeOffset.UtcNow;
        for (int a = 0; a < accounts; a++)
        {
            string id = SignalWorkload.AccountId(a);
            var aggregates = map[id] = new CsMetrics.Scoring.Aggregates.AccountAggregates();
            foreach (var signal in SignalsFor(context, id, a, signalsPerAccount))
            {
                aggregates.Apply(signal, now);
            }
        }
        double perAccount = (double)(FullGcHeap() - before) / accounts;
        GC.KeepAlive(map);
        return perAccount;
    }

    internal static long FullGcHeap()
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: false);
    }

    /// <summary>
    /// An account's week: the workload's mix, seeded by the account, so each account's state is its
    /// own and reproducible. Decoded through the ingest log's codec, so every signal carries its own
    /// strings, as a deployed server's do (parsed from JSON, or read back from its log): generated
    /// signals shared the workload's feature-name literals, which hid what accounts keep of them.
    /// </summary>
    internal static Signal[] SignalsFor(BenchContext context, string accountId, int accountIndex, int count)
    {
        var random = new Random(HashCode.Combine(BenchContext.Seed, accountIndex));
        var signals = new Signal[count];
        for (int i = 0; i < count; i++)
        {
            signals[i] = context.Workload.Create(random, accountId, $"m-{accountId}-{i}");
        }
        return SignalCodec.Decode(SignalCodec.Encode(signals));
    }
}
