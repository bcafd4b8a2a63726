namespace CsMetrics.Grains.Checkpoints;

/// <summary>
/// Silo-local set of account ids whose in-memory state is newer than their checkpoint. Account
/// grains add themselves when they change; the checkpointer drains the set and asks each one
/// to write. Only changed accounts are touched, however many are active.
/// </summary>
public sealed class DirtyAccounts
{
    // A lock rather than swapping a concurrent set: a mark racing the swap could land in the
    // set already taken (after its snapshot) and be lost, leaving a changed account unwritten.
    private readonly object _gate = new();
    private HashSet<string> _ids = new(StringComparer.Ordinal);

    public void Mark(string accountId)
    {
        lock (_gate)
        {
            _ids.Add(accountId);
        }
    }

    /// <summary>Marks many under one lock: the ingest path marks every account of a batch at once.</summary>
    public void Mark(IEnumerable<string> accountIds)
    {
        lock (_gate)
        {
            foreach (var id in accountIds)
            {
                _ids.Add(id);
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _ids.Count;
            }
        }
    }

    /// <summary>Takes the current set, leaving an empty one for changes from now on.</summary>
    public ICollection<string> Drain()
    {
        lock (_gate)
        {
            var taken = _ids;
            _ids = new HashSet<string>(StringComparer.Ordinal);
            return taken;
        }
    }
}
