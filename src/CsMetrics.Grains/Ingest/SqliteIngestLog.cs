using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;

using CsMetrics.Grains.Storage;

namespace CsMetrics.Grains.Ingest;

/// <summary>Options for <see cref="SqliteIngestLog"/>.</summary>
public sealed class SqliteIngestLogOptions
{
    /// <summary>
    /// <c>synchronous=FULL</c> instead of <c>NORMAL</c>. With WAL, NORMAL already survives a process kill -9
    /// (a commit is in the WAL file once it returns); FULL also fsyncs each group commit so the newest groups
    /// survive an OS crash or power loss.
    /// </summary>
    public bool SynchronousFull { get; set; }

    /// <summary>Maximum number of appends committed in one transaction.</summary>
    public int MaxGroupEntries { get; set; } = 256;

    /// <summary>Soft cap on payload bytes per transaction (a single larger payload still goes alone).</summary>
    public int MaxGroupBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Page size used when the file is created. Large pages cut overflow-page chains for 50-100 KB blobs.</summary>
    public int PageSize { get; set; } = 16 * 1024;

    /// <summary>WAL auto-checkpoint threshold in pages; larger means fewer, bigger checkpoints (64 MB at 16 KB pages).</summary>
    public int WalAutoCheckpointPages { get; set; } = 4096;
}

/// <summary>
/// <see cref="IIngestLog"/> on a SQLite file with group commit: callers enqueue on a channel, one writer task
/// commits everything pending (up to a cap) in a single transaction and then completes the callers.
/// Throughput is bounded by commits per second, not appends per second.
/// </summary>
public sealed class SqliteIngestLog : IIngestLog
{
    private const string CheckpointKey = "checkpoint";

    private readonly Channel<PendingOperation> _channel =
        Channel.CreateUnbounded<PendingOperation>(new UnboundedChannelOptions { SingleReader = true });

    private readonly string _readConnectionString;
    private readonly SqliteConnection _writer;
    private readonly SqliteCommand _insert;
    private readonly SqliteParameter _insertSeq;
    private readonly SqliteParameter _insertPayload;
    private readonly SqliteCommand _setCheckpoint;
    private readonly SqliteParameter _setCheckpointValue;
    private readonly SqliteCommand _truncate;
    private readonly SqliteParameter _truncateUpTo;
    private readonly int _maxGroupEntries;
    private readonly long _maxGroupBytes;
    private readonly Task _writerTask;

    // Written only by the writer task after a commit; read by anyone.
    private long _lastSequence;
    private long _checkpoint;
    private int _disposed;

    /// <summary>Opens (creating if needed) the log at <paramref name="databasePath"/> and starts the writer.</summary>
    public SqliteIngestLog(string databasePath, SqliteIngestLogOptions? options = null)
    {
        Name = Path.GetFileNameWithoutExtension(databasePath);
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        options ??= new SqliteIngestLogOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxGroupEntries, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxGroupBytes, 1);
        _maxGroupEntries = options.MaxGroupEntries;
        _maxGroupBytes = options.MaxGroupBytes;

        var (_, readers, writer) = SqliteFiles.Open(databasePath);
        _readConnectionString = readers;

        _writer = new SqliteConnection(writer);
        _writer.Open();
        // page_size must precede journal_mode=WAL: it only takes effect before the file's first write.
        Execute(
            $"PRAGMA page_size={options.PageSize};" +
            "PRAGMA journal_mode=WAL;" +
            (options.SynchronousFull ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;") +
            $"PRAGMA wal_autocheckpoint={options.WalAutoCheckpointPages};" +
            // Without a limit the WAL file keeps its high-water size after each checkpoint.
            $"PRAGMA journal_size_limit={(long)options.PageSize * options.WalAutoCheckpointPages};" +
            "PRAGMA busy_timeout=10000;" +
            // seq is assigned explicitly: after the checkpoint deletes every row, rowid reuse would restart at 1.
            "CREATE TABLE IF NOT EXISTS log(seq INTEGER PRIMARY KEY, payload BLOB NOT NULL);" +
            "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER);");

        _checkpoint = ScalarInt64($"SELECT value FROM meta WHERE key = '{CheckpointKey}'");
        _lastSequence = Math.Max(ScalarInt64("SELECT MAX(seq) FROM log"), _checkpoint);

        _insert = _writer.CreateCommand();
        _insert.CommandText = "INSERT INTO log(seq, payload) VALUES($seq, $payload)";
        _insertSeq = _insert.Parameters.Add("$seq", SqliteType.Integer);
        _insertPayload = _insert.Parameters.Add("$payload", SqliteType.Blob);
        _insert.Prepare();

        _setCheckpoint = _writer.CreateCommand();
        _setCheckpoint.CommandText =
            $"INSERT INTO meta(key, value) VALUES('{CheckpointKey}', $value) " +
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value";
        _setCheckpointValue = _setCheckpoint.Parameters.Add("$value", SqliteType.Integer);

        _truncate = _writer.CreateCommand();
        _truncate.CommandText = "DELETE FROM log WHERE seq <= $upTo";
        _truncateUpTo = _truncate.Parameters.Add("$upTo", SqliteType.Integer);

        _writerTask = Task.Run(RunWriterAsync);
    }

    /// <inheritdoc/>
    public long LastSequence => Volatile.Read(ref _lastSequence);

    /// <summary>The file's name: stable across restarts, as the sequence numbers are.</summary>
    public string Name { get; }

    /// <inheritdoc/>
    /// <remarks>
    /// The payload is not copied when it spans a whole array, so it must not be mutated until the returned task completes.
    /// Cancellation is honoured only until the writer picks the entry up; afterwards the append may still commit.
    /// </remarks>
    public ValueTask<long> AppendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<long>(cancellationToken);
        }

        // Copy (if needed) on the caller's thread so the single writer only binds and inserts.
        var operation = new PendingOperation(ToArray(payload), 0, cancellationToken);
        Enqueue(operation);
        return new ValueTask<long>(operation.Completion.Task);
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<IngestLogEntry> ReadAfterAsync(
        long afterSeq,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        // A separate connection reads a consistent WAL snapshot while the writer keeps committing.
        await using var connection = new SqliteConnection(_readConnectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, payload FROM log WHERE seq > $after ORDER BY seq";
        command.Parameters.AddWithValue("$after", afterSeq);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new IngestLogEntry(reader.GetInt64(0), reader.GetFieldValue<byte[]>(1));
        }
    }

    /// <inheritdoc/>
    public ValueTask<long> GetCheckpointAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // Only this instance writes the file and updates the field after the commit, so it mirrors the durable value.
        return ValueTask.FromResult(Volatile.Read(ref _checkpoint));
    }

    /// <inheritdoc/>
    /// <remarks>Checkpoints only move forward; an older value is a no-op. It goes through the writer so it is ordered with appends.</remarks>
    public async ValueTask SetCheckpointAsync(long seq, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(seq);
        // A checkpoint past the last committed append would delete entries appended later without them being reflected.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(seq, LastSequence);
        cancellationToken.ThrowIfCancellationRequested();
        var operation = new PendingOperation(null, seq, cancellationToken);
        Enqueue(operation);
        await operation.Completion.Task.ConfigureAwait(false);
    }

    /// <summary>Stops accepting work, commits everything already queued, and closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await _writerTask.ConfigureAwait(false);
            return;
        }

        _channel.Writer.TryComplete();
        await _writerTask.ConfigureAwait(false);
        _insert.Dispose();
        _setCheckpoint.Dispose();
        _truncate.Dispose();
        // Closing the last connection checkpoints the WAL into the main file.
        await _writer.DisposeAsync().ConfigureAwait(false);
        using var pooled = new SqliteConnection(_readConnectionString);
        SqliteConnection.ClearPool(pooled);
    }

    private void Enqueue(PendingOperation operation)
    {
        // Unbounded: TryWrite fails only once DisposeAsync completed the channel.
        if (Volatile.Read(ref _disposed) != 0 || !_channel.Writer.TryWrite(operation))
        {
            throw new ObjectDisposedException(nameof(SqliteIngestLog));
        }
    }

    private async Task RunWriterAsync()
    {
        var reader = _channel.Reader;
        var group = new List<PendingOperation>(_maxGroupEntries);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            long bytes = 0;
            while (group.Count < _maxGroupEntries && bytes < _maxGroupBytes && reader.TryRead(out var operation))
            {
                if (operation.CancellationToken.IsCancellationRequested)
                {
                    operation.Completion.TrySetCanceled(operation.CancellationToken);
                    continue;
                }

                group.Add(operation);
                bytes += operation.Payload?.Length ?? 0;
            }

            if (group.Count > 0)
            {
                CommitGroup(group);
                group.Clear();
            }
        }
    }

    private void CommitGroup(List<PendingOperation> group)
    {
        var seq = _lastSequence;
        var checkpoint = _checkpoint;
        try
        {
            using (var transaction = _writer.BeginTransaction())
            {
                _insert.Transaction = transaction;
                _setCheckpoint.Transaction = transaction;
                _truncate.Transaction = transaction;
                foreach (var operation in group)
                {
                    if (operation.Payload is { } payload)
                    {
                        _insertSeq.Value = ++seq;
                        _insertPayload.Value = payload;
                        _insert.ExecuteNonQuery();
                        operation.Result = seq;
                    }
                    else
                    {
                        if (operation.CheckpointSeq > checkpoint)
                        {
                            checkpoint = operation.CheckpointSeq;
                            _setCheckpointValue.Value = checkpoint;
                            _setCheckpoint.ExecuteNonQuery();
                            _truncateUpTo.Value = checkpoint;
                            _truncate.ExecuteNonQuery();
                        }

                        operation.Result = checkpoint;
                    }
                }

                transaction.Commit();
            }
        }
        catch (Exception ex)
        {
            // The transaction rolled back as a whole, so no caller in the group may believe its entry is durable.
            foreach (var operation in group)
            {
                operation.Completion.TrySetException(ex);
            }

            return;
        }
        finally
        {
            _insertPayload.Value = null;
        }

        Volatile.Write(ref _lastSequence, seq);
        Volatile.Write(ref _checkpoint, checkpoint);
        foreach (var operation in group)
        {
            operation.Completion.TrySetResult(operation.Result);
        }
    }

    private void Execute(string sql)
    {
        using var command = _writer.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private long ScalarInt64(string sql)
    {
        using var command = _writer.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar() is long value ? value : 0;
    }

    // Microsoft.Data.Sqlite binds blobs only as byte[]; reuse the backing array when it is exactly the payload.
    private static byte[] ToArray(ReadOnlyMemory<byte> memory)
        => MemoryMarshal.TryGetArray(memory, out var segment)
           && segment.Offset == 0
           && segment.Array is { } array
           && segment.Count == array.Length
            ? array
            : memory.ToArray();

    private sealed class PendingOperation(byte[]? payload, long checkpointSeq, CancellationToken cancellationToken)
    {
        /// <summary>Null for a checkpoint operation.</summary>
        public byte[]? Payload { get; } = payload;

        public long CheckpointSeq { get; } = checkpointSeq;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public long Result { get; set; }

        // Asynchronous continuations keep caller code off the single writer task.
        public TaskCompletionSource<long> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
