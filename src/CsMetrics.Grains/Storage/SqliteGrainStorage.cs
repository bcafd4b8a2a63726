using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
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

    /// <summary>Serializer for state; filled from DI (keyed by provider name, then the silo default) when left null.</summary>
    public IGrainStorageSerializer GrainStorageSerializer { get; set; } = null!;
}

/// <summary>
/// Orleans grain storage backed by one SQLite file (embedded / single-node mode).
/// Rows are keyed by (provider, "{stateName}/{grainId}") so several providers and several named
/// states per grain can share one file. ETags are opaque unique strings: optimistic concurrency
/// without the ABA problem a version counter would have after delete + re-insert.
/// </summary>
public sealed partial class SqliteGrainStorage : IGrainStorage, IDisposable
{
    // One writer lock per database file, shared by every provider instance that points at it:
    // SQLite admits a single writer anyway, and queueing in-process is cheaper than SQLITE_BUSY retries.
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> WriterLocks = new(StringComparer.Ordinal);

    // ETags: a random per-process prefix and a counter that only goes up, so unique without a Guid per write.
    private static readonly string EtagPrefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
    private static long s_etagCounter;

    private readonly string _name;
    private readonly string _readConnectionString;
    private readonly SqliteConnection _writer;
    private readonly SemaphoreSlim _writeLock;
    private readonly IGrainStorageSerializer _serializer;
    private readonly IActivatorProvider _activatorProvider;
    private readonly ILogger _logger;
    private readonly bool _deleteOnClear;

    // Prepared once on the long-lived writer connection; only used while holding _writeLock.
    private readonly SqliteCommand _insertCommand;
    private readonly SqliteCommand _updateCommand;
    private readonly SqliteCommand _deleteCommand;
    private readonly SqliteCommand _clearCommand;
    private readonly SqliteCommand _etagCommand;
    private bool _disposed;

    /// <summary>Opens (creating if needed) the database and schema.</summary>
    public SqliteGrainStorage(
        string name,
        SqliteGrainStorageOptions options,
        IActivatorProvider activatorProvider,
        ILogger<SqliteGrainStorage> logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.DatabasePath, nameof(options.DatabasePath));
        _serializer = options.GrainStorageSerializer
            ?? throw new ArgumentException("GrainStorageSerializer is not set.", nameof(options));
        _name = name;
        _activatorProvider = activatorProvider;
        _logger = logger;
        _deleteOnClear = options.DeleteStateOnClear;

        var (fullPath, readers, writer) = SqliteFiles.Open(options.DatabasePath);
        _readConnectionString = readers;

        _writeLock = WriterLocks.GetOrAdd(fullPath, static _ => new SemaphoreSlim(1, 1));
        _writer = new SqliteConnection(writer);
        _writer.Open();
        Execute(_writer,
            "PRAGMA journal_mode=WAL;" +
            (options.SynchronousFull ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;") +
            "PRAGMA busy_timeout=10000;" +
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
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        var key = MakeKey(stateName, grainId);

        string? etag = null;
        byte[]? data = null;
        var found = false;
        // Readers use their own pooled connections: WAL lets them run concurrently with the writer.
        await using (var connection = new SqliteConnection(_readConnectionString))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT etag, data FROM grain_state WHERE provider = $p AND grain_id = $g";
            command.Parameters.AddWithValue("$p", _name);
            command.Parameters.AddWithValue("$g", key);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                found = true;
                etag = reader.IsDBNull(0) ? null : reader.GetString(0);
                data = reader.IsDBNull(1) ? null : reader.GetFieldValue<byte[]>(1);
            }
        }

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
        // Serialize outside the lock so the single writer only spends time on SQLite.
        var blob = ToArray(_serializer.Serialize(grainState.State).ToMemory());
        var expected = grainState.ETag;
        var newEtag = NewEtag();

        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int changed;
            if (expected is null)
            {
                changed = Run(_insertCommand, key, newEtag, blob, null);
            }
            else
            {
                changed = Run(_updateCommand, key, newEtag, blob, expected);
            }

            if (changed == 0)
            {
                throw Conflict("WriteState", key, expected);
            }
        }
        finally
        {
            _writeLock.Release();
        }

        grainState.ETag = newEtag;
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
        string? resultEtag = expected;

        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (expected is null)
            {
                // Nothing was ever written from this activation's point of view; a row means someone else wrote.
                if (ReadEtag(key).Found)
                {
                    throw Conflict("ClearState", key, expected);
                }
            }
            else if (_deleteOnClear)
            {
                if (Run(_deleteCommand, key, null, null, expected) == 0)
                {
                    throw Conflict("ClearState", key, expected);
                }

                resultEtag = null;
            }
            else
            {
                var newEtag = NewEtag();
                if (Run(_clearCommand, key, newEtag, null, expected) == 0)
                {
                    throw Conflict("ClearState", key, expected);
                }

                resultEtag = newEtag;
            }
        }
        finally
        {
            _writeLock.Release();
        }

        grainState.ETag = resultEtag;
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
            _writer.Dispose();
            using var pooled = new SqliteConnection(_readConnectionString);
            SqliteConnection.ClearPool(pooled);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private static string MakeKey(string stateName, GrainId grainId) => $"{stateName}/{grainId}";

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
        // Called under the writer lock, so the stored etag reported is the one that beat us.
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

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

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

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Operation} etag conflict in {Provider} for {Key}: expected {Expected}, stored {Stored}")]
    private static partial void LogConflict(ILogger logger, string operation, string provider, string key, string? expected, string stored);
}
