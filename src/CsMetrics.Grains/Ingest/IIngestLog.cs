namespace CsMetrics.Grains.Ingest;

/// <summary>Durable append-only log of accepted ingest batches, replayed on recovery past the last checkpoint.</summary>
public interface IIngestLog : IAsyncDisposable
{
    /// <summary>Names this log among all nodes' logs; account state remembers how far it applied each.</summary>
    string Name { get; }

    /// <summary>
    /// Appends one batch payload durably; completes only after the transaction holding it committed.
    /// Returns its sequence number (monotonic, starting at 1). A log that hands out a sequence
    /// before the write and then fails throws <see cref="IngestAppendFailedException"/> naming it.
    /// </summary>
    ValueTask<long> AppendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default);

    /// <summary>Entries with seq &gt; <paramref name="afterSeq"/> in order (for replay on recovery).</summary>
    IAsyncEnumerable<IngestLogEntry> ReadAfterAsync(long afterSeq, CancellationToken cancellationToken = default);

    /// <summary>The durable checkpoint: every entry with seq &lt;= it is reflected in checkpointed grain state.</summary>
    ValueTask<long> GetCheckpointAsync(CancellationToken cancellationToken = default);

    /// <summary>Records a new checkpoint and deletes the entries at or below it.</summary>
    ValueTask SetCheckpointAsync(long seq, CancellationToken cancellationToken = default);

    /// <summary>Highest seq appended so far (0 if none).</summary>
    long LastSequence { get; }
}

/// <summary>One log entry.</summary>
public readonly record struct IngestLogEntry(long Sequence, ReadOnlyMemory<byte> Payload);

/// <summary>An append failed after its sequence number was handed out; nothing is stored under it.</summary>
public sealed class IngestAppendFailedException(long sequence, Exception inner)
    : Exception($"Appending ingest log entry {sequence} failed", inner)
{
    public long Sequence { get; } = sequence;
}
