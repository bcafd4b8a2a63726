using System.Collections.Concurrent;

namespace CsMetrics.Grains.Checkpoints;

/// <summary>
/// Silo-local set of account ids whose in-memory state is newer than their checkpoint. Account
/// grains add themselves when they change; the checkpointer drains the set and asks each one
/// to write. Only changed accounts are touched, however many are active.
/// </summary>
public sealed class DirtyAccounts
{
    private ConcurrentDictionary<string, byte> _ids = new(StringComparer.Ordinal);

    public void Mark(string accountId) => _ids.TryAdd(accountId, 0);

    public int Count => _ids.Count;

    /// <summary>Takes the current set, leaving an empty one for changes from now on.</summary>
    public ICollection<string> Drain() => Interlocked.Exchange(ref _ids, new(StringComparer.Ordinal)).Keys;
}
