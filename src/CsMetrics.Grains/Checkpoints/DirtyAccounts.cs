namespace CsMetrics.Grains.Checkpoints;

/// <summary>
/// Silo-local set of account ids whose in-memory state is newer than their checkpoint. Account
/// grains add themselves when they change; the checkpointer drains the set and asks each one
/// to write. Only changed accounts are touched, however many are active.
/// </summary>
public sealed class DirtyAccounts : DirtyKeys;

/// <summary>
/// Silo-local set of VoC comment months (store keys) with comments not yet written; the stores
/// mark themselves, the checkpointer writes them with the accounts.
/// </summary>
public sealed class DirtyCommentMonths : DirtyKeys;

/// <summary>A silo-local set of grain keys whose state is newer than their checkpoint.</summary>
public abstract class DirtyKeys
{
    // A lock rather than swapping a concurrent set: a mark racing the swap could land in the
    // set already taken (after its snapshot) and be lost, leaving a changed account unwritten.
    private readonly object _gate = new();
    private HashSet<string> _ids = new(StringComparer.Ordinal);

    public void Mark(string key)
    {
        lock (_gate)
        {
            _ids.Add(key);
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
