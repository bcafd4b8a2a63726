namespace CsMetrics.Grains.Ingest;

/// <summary>Durable append-only log of accepted ingest batches, replayed on recovery past the last checkpoint.</summary>
public interface IIngestLog : IAsyncDisposable
{
    /// <summary>
    /// Appends one batch payload durably; completes only after the transaction holding it committed.
    /// Returns its sequence number (monotonic, starting at 1).
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
