using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace CsMetrics.Grains.Storage;

/// <summary>Options for <see cref="SqliteGrainStorage"/>.</summary>
public sealed class SqliteGrainStorageOptions : IStorageProviderSerializerOptions
{
    /// <summary>Path of the SQLite database file; its directory is created if missing.</summary>
    public string DatabasePath { get; set; } = string.Empty;

    /// <summary>
    /// <c>synchronous=FULL</c> instead of <c>NORMAL</c>. NORMAL in WAL mode already survives a process
    /// kill -9 (committed pages are in the WAL file, i.e. the OS page cache); FULL additionally fsyncs every
    /// commit so the last transactions also survive an OS crash or power loss, at a large cost per write.
    /// </summary>
    public bool SynchronousFull { get; set; }

    /// <summary>
    /// When true (default) <c>ClearStateAsync</c> deletes the row; when false it keeps the row with NULL data
    /// and a new etag, so a stale activation cannot resurrect cleared state by writing with an etag it held.
    /// </summary>
    public bool DeleteStateOnClear { get; set; } = true;

    /// <summary>
    /// Page cache of the connection that writes, in MB (SQLite's default is 2 MB). Rewriting an
    /// account's row reads the B-tree pages on its way (and the overflow pages a 3–5 KB row
    /// spans); with 2 MB the writer of 100k accounts re-read most of them from the file on
    /// every checkpoint, 3.6 page reads per page written (strace of the engine benchmark), and
    /// those reads were ~9 % of the process's CPU. 64 MB: 1.3 reads per page written. The cache
    /// only grows as pages are used, so a small deployment does not pay for it.
    /// </summary>
    public int WriterCacheMegabytes { get; set; } = 64;

    /// <summary>Serializer for state; filled from DI (keyed by provider name, then the silo default) when left null.</summary>
    public IGrainStorageSerializer GrainStorageSerializer { get; set; } = null!;
}

/// <summary>
/// Orleans grain storage backed by one SQLite file (embedded / single-node mode).
/// Rows are keyed by (provider, "{stateName}/{grainId}") so several providers and several named
/// states per grain can share one file. ETags are opaque unique strings: optimistic concurrency
/// without the ABA problem a version counter would have after delete + re-insert.
/// Writes and clears group-commit: concurrent calls queue and one drainer per file applies whatever is
/// pending in a single transaction (see <see cref="SqliteGroupCommit"/>); each call still succeeds or
/// fails on its own etag, and completes only once its transaction has committed.
/// </summary>
public sealed partial class SqliteGrainStorage : IGrainStorage, IDisposable
{
    // One write queue and writer lock per database file, shared by every provider instance that points at it.
    private static readonly ConcurrentDictionary<string, SqliteGroupCommit> Writers = new(StringComparer.Ordinal);

    // ETags: a random per-process prefix and a counter that only goes up, so unique without a Guid per write.
    private static readonly string EtagPrefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
    private static long s_etagCounter;

    private readonly string _name;
    private readonly string _readConnectionString;
    private readonly SqliteConnection _writer;
    private readonly SqliteGroupCommit _writes;
    private readonly SemaphoreSlim _writeLock;
    private readonly IGrainStorageSerializer _serializer;
    /// <summary>
    /// Set when the configured serializer is Orleans' own (the default): the blob is then made by
    /// the same <see cref="Serializer"/> into a pooled buffer and copied out once at its size.
    /// Through <see cref="OrleansGrainStorageSerializer"/> it grew an unpooled buffer by doubling
    /// and this provider copied the result again: together ~20 % of the engine's allocated bytes,
    /// every account write of every checkpoint. Same bytes either way (a test compares them).
    /// </summary>
    private readonly Serializer? _orleansSerializer;
    private readonly IActivatorProvider _activatorProvider;
    private readonly ILogger _logger;
    private readonly bool _deleteOnClear;

    // Prepared once on the long-lived writer connection; only used while holding _writeLock (the file's drainer does).
    private readonly SqliteCommand _insertCommand;
    private readonly SqliteCommand _updateCommand;
    private readonly SqliteCommand _deleteCommand;
    private readonly SqliteCommand _clearCommand;
    private readonly SqliteCommand _etagCommand;
    private readonly SqliteCommand _beginCommand;
    private readonly SqliteCommand _commitCommand;
    private readonly SqliteCommand _rollbackCommand;
    private volatile bool _disposed;

    /// <summary>Opens (creating if needed) the database and schema.</summary>
    public SqliteGrainStorage(
        string name,
        SqliteGrainStorageOptions options,
        IActivatorProvider activatorProvider,
        ILogger<SqliteGrainStorage> logger,
        Serializer? serializer = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.DatabasePath, nameof(options.DatabasePath));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.WriterCacheMegabytes, nameof(options.WriterCacheMegabytes));
        _serializer = options.GrainStorageSerializer
            ?? throw new ArgumentException("GrainStorageSerializer is not set.", nameof(options));
        _orleansSerializer = _serializer.GetType() == typeof(OrleansGrainStorageSerializer) ? serializer : null;
        _name = name;
        _activatorProvider = activatorProvider;
        _logger = logger;
        _deleteOnClear = options.DeleteStateOnClear;

        var (fullPath, readers, writer) = SqliteFiles.Open(options.DatabasePath);
        _readConnectionString = readers;

        _writes = Writers.GetOrAdd(fullPath, static _ => new SqliteGroupCommit());
        _writeLock = _writes.Lock;
        _writer = new SqliteConnection(writer);
        _writer.Open();
        Execute(_writer,
            "PRAGMA journal_mode=WAL;" +
            (options.SynchronousFull ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;") +
            "PRAGMA busy_timeout=10000;" +
            $"PRAGMA cache_size=-{options.WriterCacheMegabytes * 1024};" +
            """
            CREATE TABLE IF NOT EXISTS grain_state(
                provider TEXT NOT NULL,
                grain_id TEXT NOT NULL,
                etag TEXT,
                data BLOB,
                PRIMARY KEY(provider, grain_id)) WITHOUT ROWID;
            """);

        _insertCommand = Prepare(
            "INSERT INTO grain_state(provider, grain_id, etag, data) VALUES($p, $g, $new, $d) " +
            "ON CONFLICT(provider, grain_id) DO NOTHING",
            "$p", "$g", "$new", "$d");
        _updateCommand = Prepare(
            "UPDATE grain_state SET etag = $new, data = $d WHERE provider = $p AND grain_id = $g AND etag = $old",
            "$p", "$g", "$new", "$d", "$old");
        _deleteCommand = Prepare(
            "DELETE FROM grain_state WHERE provider = $p AND grain_id = $g AND etag = $old",
            "$p", "$g", "$old");
        _clearCommand = Prepare(
            "UPDATE grain_state SET etag = $new, data = NULL WHERE provider = $p AND grain_id = $g AND etag = $old",
            "$p", "$g", "$new", "$old");
        _etagCommand = Prepare(
            "SELECT etag FROM grain_state WHERE provider = $p AND grain_id = $g",
            "$p", "$g");
        // IMMEDIATE takes the write lock up front, as the autocommit statements of a single write did.
        _beginCommand = Prepare("BEGIN IMMEDIATE");
        _commitCommand = Prepare("COMMIT");
        _rollbackCommand = Prepare("ROLLBACK");

        LogOpened(_logger, _name, fullPath, options.SynchronousFull ? "FULL" : "NORMAL");
    }

    /// <summary>Factory used by the DI registration; resolves the named options.</summary>
    public static SqliteGrainStorage Create(IServiceProvider services, string name)
    {
        var options = services.GetRequiredService<IOptionsMonitor<SqliteGrainStorageOptions>>().Get(name);
        return ActivatorUtilities.CreateInstance<SqliteGrainStorage>(services, name, options);
    }

    /// <inheritdoc/>
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        => ReadStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc/>
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        try
        {
            ReadState(stateName, grainId, grainState, cancellationToken);
            return Task.CompletedTask;
        }
        catch (Exception ex)
        {
            return Task.FromException(ex);
        }
    }

    // Synchronous: Microsoft.Data.Sqlite's async calls complete synchronously anyway.
    private void ReadState<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        var key = MakeKey(stateName, grainId);

        string? etag = null;
        byte[]? data = null;
        var found = false;
        // Readers use their own connections: WAL lets them run concurrently with the writer.
        var reader = RentReader();
        try
        {
            reader.Grain.Value = key;
            using var rows = reader.Select.ExecuteReader();
            if (rows.Read())
            {
                found = true;
                etag = rows.IsDBNull(0) ? null : rows.GetString(0);
                data = rows.IsDBNull(1) ? null : rows.GetFieldValue<byte[]>(1);
            }
        }
        catch
        {
            reader.Dispose();
            throw;
        }
        ReturnReader(reader);

        T? state = default;
        if (data is not null)
        {
            try
            {
                state = _serializer.Deserialize<T>(new BinaryData(data));
            }
            catch (Exception ex)
            {
                LogDeserializeFailed(_logger, ex, _name, key);
                throw;
            }
        }

        grainState.State = state ?? CreateInstance<T>();
        grainState.ETag = found ? etag : null;
        grainState.RecordExists = data is not null;
    }

    /// <inheritdoc/>
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        => WriteStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc/>
    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var key = MakeKey(stateName, grainId);
        // Serialize before queueing so the single writer only spends time on SQLite.
        var blob = Serialize(grainState.State);
        var op = new PendingStorageOp(this, StorageOpKind.Write, key, blob, grainState.ETag, NewEtag());

        grainState.ETag = await QueueAsync(op, cancellationToken).ConfigureAwait(false);
        grainState.RecordExists = true;
    }

    /// <inheritdoc/>
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        => ClearStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc/>
    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var key = MakeKey(stateName, grainId);
        var expected = grainState.ETag;
        var newEtag = expected is not null && !_deleteOnClear ? NewEtag() : null;
        var op = new PendingStorageOp(this, StorageOpKind.Clear, key, null, expected, newEtag);

        grainState.ETag = await QueueAsync(op, cancellationToken).ConfigureAwait(false);
        grainState.RecordExists = false;
        grainState.State = CreateInstance<T>();
    }

    /// <summary>Closes the writer connection and releases pooled reader connections to the file.</summary>
    public void Dispose()
    {
        _writeLock.Wait();
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _insertCommand.Dispose();
            _updateCommand.Dispose();
            _deleteCommand.Dispose();
            _clearCommand.Dispose();
            _etagCommand.Dispose();
            _beginCommand.Dispose();
            _commitCommand.Dispose();
            _rollbackCommand.Dispose();
            _writer.Dispose();
            lock (_idleReaders)
            {
                while (_idleReaders.TryPop(out var reader))
                {
                    reader.Dispose();
                }
            }
            using var pooled = new SqliteConnection(_readConnectionString);
            SqliteConnection.ClearPool(pooled);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private static string MakeKey(string stateName, GrainId grainId) => $"{stateName}/{grainId}";

    // Reader connections kept open with their SELECT prepared: opening a pooled connection and
    // preparing the statement for every read was most of a grain activation's storage cost
    // (a start-up replay activates every account). Idle ones are kept up to a small number.
    private const int IdleReadersKept = 8;
    private readonly Stack<StateReader> _idleReaders = new();

    private StateReader RentReader()
    {
        lock (_idleReaders)
        {
            if (_idleReaders.TryPop(out var idle))
            {
                return idle;
            }
        }
        var connection = new SqliteConnection(_readConnectionString);
        try
        {
            connection.Open();
            var select = connection.CreateCommand();
            select.CommandText = "SELECT etag, data FROM grain_state WHERE provider = $p AND grain_id = $g";
            select.Parameters.AddWithValue("$p", _name);
            var grain = select.Parameters.Add("$g", SqliteType.Text);
            select.Prepare();
            return new StateReader(connection, select, grain);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private void ReturnReader(StateReader reader)
    {
        lock (_idleReaders)
        {
            // Checked under the lock Dispose empties the stack with: nothing is pushed after it.
            if (!_disposed && _idleReaders.Count < IdleReadersKept)
            {
                _idleReaders.Push(reader);
                return;
            }
        }
        reader.Dispose();
    }

    private sealed record StateReader(SqliteConnection Connection, SqliteCommand Select, SqliteParameter Grain) : IDisposable
    {
        public void Dispose()
        {
            Select.Dispose();
            Connection.Dispose();
        }
    }

    /// <summary>The file's write queue (tests hold its lock to gather a group).</summary>
    internal SqliteGroupCommit Writer => _writes;

    /// <summary>This provider's writer connection (tests hook its commit).</summary>
    internal SqliteConnection WriterConnection => _writer;

    // Never repeats, unlike a per-row version which restarts after a delete: the counter only goes up within the
    // process, and the 64-bit random prefix makes another process (e.g. after a restart) use different etags.
    // 32 lowercase hex characters, the shape the Guid etags had.
    internal static string NewEtag() => string.Create(32, (ulong)Interlocked.Increment(ref s_etagCounter), static (chars, n) =>
    {
        EtagPrefix.CopyTo(chars);
        for (int i = chars.Length - 1; i >= EtagPrefix.Length; i--)
        {
            chars[i] = "0123456789abcdef"[(int)(n & 0xF)];
            n >>= 4;
        }
    });

    private async Task<string?> QueueAsync(PendingStorageOp op, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!cancellationToken.CanBeCanceled)
        {
            _writes.Enqueue(op);
            return await op.Task.ConfigureAwait(false);
        }

        // Cancellation only withdraws an operation still queued; once in a group it runs to its commit.
        using var registration = cancellationToken.UnsafeRegister(
            static (state, token) => ((PendingStorageOp)state!).TryCancel(token), op);
        _writes.Enqueue(op);
        return await op.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Applies this provider's share of a group in one transaction; called by the file's drainer under the writer lock.
    /// An etag conflict (or an error SQLite confines to its statement) fails that operation alone; any other
    /// failure, the commit's included, rolls the whole transaction back and fails every operation of it.
    /// </summary>
    internal void RunGroup(List<PendingStorageOp> ops)
    {
        if (_disposed)
        {
            var disposed = new ObjectDisposedException(GetType().FullName);
            foreach (var op in ops)
            {
                op.TrySetException(disposed);
            }
            return;
        }

        try
        {
            RollBackIfActive(); // never expected: a failed rollback of an earlier group left it open
            _beginCommand.ExecuteNonQuery();
            foreach (var op in ops)
            {
                Apply(op);
            }
            _commitCommand.ExecuteNonQuery();
        }
        catch (Exception ex)
        {
            RollBackIfActive();
            LogGroupFailed(_logger, ex, _name, ops.Count);
            foreach (var op in ops)
            {
                op.TrySetException(ex);
            }
            return;
        }

        _writes.CountTransaction();
        foreach (var op in ops)
        {
            if (op.Error is { } error)
            {
                op.TrySetException(error);
            }
            else
            {
                op.TrySetResult(op.ResultEtag);
            }
        }
    }

    private void Apply(PendingStorageOp op)
    {
        var key = op.Key;
        var expected = op.ExpectedEtag;
        try
        {
            if (op.Kind == StorageOpKind.Write)
            {
                var changed = expected is null
                    ? Run(_insertCommand, key, op.NewEtag, op.Data, null)
                    : Run(_updateCommand, key, op.NewEtag, op.Data, expected);
                if (changed == 0)
                {
                    op.Error = Conflict("WriteState", key, expected);
                }
                else
                {
                    op.ResultEtag = op.NewEtag;
                }
            }
            else if (expected is null)
            {
                // Nothing was ever written from this activation's point of view; a row means someone else wrote.
                if (ReadEtag(key).Found)
                {
                    op.Error = Conflict("ClearState", key, expected);
                }
            }
            else if (Run(_deleteOnClear ? _deleteCommand : _clearCommand, key, op.NewEtag, null, expected) == 0)
            {
                op.Error = Conflict("ClearState", key, expected);
            }
            else
            {
                op.ResultEtag = op.NewEtag; // null after a delete, the tombstone's etag otherwise
            }
        }
        catch (SqliteException ex) when (OnlyTheStatementFailed(ex))
        {
            op.Error = ex;
        }
    }

    // Constraint (e.g. a trigger's RAISE(ABORT)), too-big and type errors undo just their statement; if SQLite
    // rolled the transaction back itself (RAISE(ROLLBACK), I/O errors, ...) the whole group has failed.
    private bool OnlyTheStatementFailed(SqliteException ex)
        => (ex.SqliteErrorCode & 0xFF) is SQLitePCL.raw.SQLITE_CONSTRAINT or SQLitePCL.raw.SQLITE_TOOBIG or SQLitePCL.raw.SQLITE_MISMATCH
           && InTransaction;

    private bool InTransaction => SQLitePCL.raw.sqlite3_get_autocommit(_writer.Handle) == 0;

    private void RollBackIfActive()
    {
        if (!InTransaction)
        {
            return;
        }
        try
        {
            _rollbackCommand.ExecuteNonQuery();
        }
        catch (Exception ex)
        {
            LogRollbackFailed(_logger, ex, _name);
        }
    }

    private T CreateInstance<T>() => _activatorProvider.GetActivator<T>().Create();

    private int Run(SqliteCommand command, string key, string? newEtag, byte[]? data, string? oldEtag)
    {
        var parameters = command.Parameters;
        parameters["$p"].Value = _name;
        parameters["$g"].Value = key;
        if (parameters.Contains("$new"))
        {
            parameters["$new"].Value = (object?)newEtag ?? DBNull.Value;
        }

        if (parameters.Contains("$d"))
        {
            parameters["$d"].Value = (object?)data ?? DBNull.Value;
        }

        if (parameters.Contains("$old"))
        {
            parameters["$old"].Value = (object?)oldEtag ?? DBNull.Value;
        }

        return command.ExecuteNonQuery();
    }

    private (bool Found, string? Etag) ReadEtag(string key)
    {
        _etagCommand.Parameters["$p"].Value = _name;
        _etagCommand.Parameters["$g"].Value = key;
        using var reader = _etagCommand.ExecuteReader();
        return reader.Read() ? (true, reader.IsDBNull(0) ? null : reader.GetString(0)) : (false, null);
    }

    private InconsistentStateException Conflict(string operation, string key, string? expected)
    {
        // Called inside the group's transaction, so the stored etag reported is the one that beat us
        // (possibly an earlier operation of the same group).
        var (found, stored) = ReadEtag(key);
        var storedText = found ? stored ?? "<null>" : "<none>";
        LogConflict(_logger, operation, _name, key, expected, storedText);
        return new InconsistentStateException(
            $"ETag mismatch on {operation}: provider={_name} key={key} expected={expected ?? "<null>"} stored={storedText}",
            storedText,
            expected ?? "<null>");
    }

    private SqliteCommand Prepare(string sql, params string[] parameterNames)
    {
        var command = _writer.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameterNames)
        {
            command.Parameters.Add(new SqliteParameter(name, DBNull.Value));
        }

        command.Prepare();
        return command;
    }

    /// <summary>The writer connection's page cache as SQLite reports it (negative: KiB).</summary>
    internal long WriterCacheSize()
    {
        _writeLock.Wait();
        try
        {
            using var command = _writer.CreateCommand();
            command.CommandText = "PRAGMA cache_size";
            return (long)command.ExecuteScalar()!;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Whether blobs are made by the Orleans serializer directly (see <see cref="_orleansSerializer"/>).</summary>
    internal bool SerializesDirectly => _orleansSerializer is not null;

    /// <summary>The stored form of a state (see <see cref="_orleansSerializer"/>).</summary>
    internal byte[] Serialize<T>(T state) =>
        _orleansSerializer is { } serializer ? serializer.SerializeToArray(state) : ToArray(_serializer.Serialize(state).ToMemory());

    // Microsoft.Data.Sqlite binds blobs only as byte[]; reuse the backing array when it is exactly the payload.
    internal static byte[] ToArray(ReadOnlyMemory<byte> memory)
        => MemoryMarshal.TryGetArray(memory, out var segment)
           && segment.Offset == 0
           && segment.Array is { } array
           && segment.Count == array.Length
            ? array
            : memory.ToArray();

    [LoggerMessage(Level = LogLevel.Information, Message = "SQLite grain storage {Provider} opened {Path} (WAL, synchronous={Synchronous})")]
    private static partial void LogOpened(ILogger logger, string provider, string path, string synchronous);

    [LoggerMessage(Level = LogLevel.Error, Message = "SQLite grain storage {Provider} failed to deserialize state {Key}")]
    private static partial void LogDeserializeFailed(ILogger logger, Exception exception, string provider, string key);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SQLite grain storage {Provider}: a group of {Count} writes failed and was rolled back")]
    private static partial void LogGroupFailed(ILogger logger, Exception exception, string provider, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "SQLite grain storage {Provider}: rolling back a failed group failed")]
    private static partial void LogRollbackFailed(ILogger logger, Exception exception, string provider);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Operation} etag conflict in {Provider} for {Key}: expected {Expected}, stored {Stored}")]
    private static partial void LogConflict(ILogger logger, string operation, string provider, string key, string? expected, string stored);
}
