namespace CsMetrics.Grains.Storage;

/// <summary>
/// The writer side of one SQLite file, shared by every <see cref="SqliteGrainStorage"/> that points at it.
/// Writes and clears are queued; a single drainer takes everything pending (up to <see cref="MaxGroup"/>)
/// and applies it in one transaction per provider connection, so a burst of N writes costs one commit
/// instead of N. Each caller's task completes only after its transaction committed (or failed).
/// </summary>
internal sealed class SqliteGroupCommit
{
    /// <summary>Most operations in one transaction, so the last caller of a burst does not wait for an unbounded group.</summary>
    public const int MaxGroup = 256;

    private readonly Queue<PendingStorageOp> _pending = new();
    private bool _draining;
    private long _transactions;

    /// <summary>
    /// Held while a group runs and by <see cref="SqliteGrainStorage.Dispose"/>: SQLite admits a single writer
    /// anyway, and queueing in-process is cheaper than SQLITE_BUSY retries.
    /// </summary>
    public SemaphoreSlim Lock { get; } = new(1, 1);

    /// <summary>Group transactions committed on this file (observability and tests).</summary>
    public long Transactions => Interlocked.Read(ref _transactions);

    public void Enqueue(PendingStorageOp op)
    {
        lock (_pending)
        {
            _pending.Enqueue(op);
            if (_draining)
            {
                return;
            }
            _draining = true;
        }
        // Do not flow the first caller's execution context (request context, activity) into the shared drainer.
        ThreadPool.UnsafeQueueUserWorkItem(static self => _ = self.DrainAsync(), this, preferLocal: false);
    }

    internal void CountTransaction() => Interlocked.Increment(ref _transactions);

    private async Task DrainAsync()
    {
        var group = new List<PendingStorageOp?>(MaxGroup);
        var owned = new List<PendingStorageOp>(MaxGroup);
        while (true)
        {
            await Lock.WaitAsync().ConfigureAwait(false);
            try
            {
                // Taken under the writer lock, so everything that queued while the previous group (or a
                // holder of the lock) ran goes into this one.
                lock (_pending)
                {
                    while (group.Count < MaxGroup && _pending.TryDequeue(out var op))
                    {
                        if (op.TryTake())
                        {
                            group.Add(op);
                        }
                    }
                    if (group.Count == 0)
                    {
                        _draining = false;
                        return;
                    }
                }

                // Normally one provider; when several share the file each gets its own transaction on its own
                // connection, in order of first appearance (each provider's operations keep their queue order).
                for (int i = 0; i < group.Count; i++)
                {
                    var owner = group[i]?.Owner;
                    if (owner is null)
                    {
                        continue;
                    }
                    for (int j = i; j < group.Count; j++)
                    {
                        if (group[j] is { } op && op.Owner == owner)
                        {
                            owned.Add(op);
                            group[j] = null;
                        }
                    }
                    owner.RunGroup(owned);
                    owned.Clear();
                }
            }
            catch (Exception ex)
            {
                // RunGroup completes its operations itself; this only guards against a bug leaving callers hanging.
                foreach (var op in owned)
                {
                    op.TrySetException(ex);
                }
                foreach (var op in group)
                {
                    op?.TrySetException(ex);
                }
                owned.Clear();
            }
            finally
            {
                group.Clear();
                Lock.Release();
            }
        }
    }
}

internal enum StorageOpKind
{
    Write,
    Clear,
}

/// <summary>One queued write or clear; completes with the etag the caller's grain state gets.</summary>
internal sealed class PendingStorageOp(
    SqliteGrainStorage owner, StorageOpKind kind, string key, byte[]? data, string? expectedEtag, string? newEtag)
    : TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    private const int Queued = 0, Taken = 1, Cancelled = 2;
    private int _state;

    public SqliteGrainStorage Owner { get; } = owner;
    public StorageOpKind Kind { get; } = kind;
    public string Key { get; } = key;
    public byte[]? Data { get; } = data;
    public string? ExpectedEtag { get; } = expectedEtag;
    public string? NewEtag { get; } = newEtag;

    /// <summary>Outcome inside the group, applied to the task only once the group's transaction has ended.</summary>
    public string? ResultEtag { get; set; }
    public Exception? Error { get; set; }

    /// <summary>The drainer claims it; false if the caller cancelled while it was queued.</summary>
    public bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Queued) == Queued;

    /// <summary>Cancels only while still queued: once in a group the operation runs to its commit.</summary>
    public void TryCancel(CancellationToken token)
    {
        if (Interlocked.CompareExchange(ref _state, Cancelled, Queued) == Queued)
        {
            TrySetCanceled(token);
        }
    }
}
