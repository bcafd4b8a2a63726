using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Signals;

namespace CsMetrics.Grains.Checkpoints;

/// <summary>
/// Silo-local set of account ids whose in-memory state is newer than their checkpoint. Account
/// grains add themselves when they change; the ingestor adds the accounts of each log entry it
/// applied, with the entry's sequence and the grain activation that applied it, so the
/// checkpoint can verify that the state it writes is the one the entries went to (see
/// <see cref="Checkpointer"/>). The checkpointer drains the set and asks each account to write.
/// Only changed accounts are touched, however many are active.
/// </summary>
public sealed class DirtyAccounts
{
    // A lock rather than swapping a concurrent map: a mark racing the swap could land in the
    // map already taken (after its snapshot) and be lost, leaving a changed account unwritten.
    private readonly object _gate = new();
    private Dictionary<string, DirtyMark> _ids = new(StringComparer.Ordinal);
    private Dictionary<string, long[]> _handedOff = new(StringComparer.Ordinal);
    private Dictionary<string, long[]> _handedOffBefore = new(StringComparer.Ordinal);
    private long _rounds;
    private long _checkedOut;

    /// <summary>Checkpoint rounds that drained this set so far: an apply made now is in round <c>Rounds + 1</c> or the one after.</summary>
    public long Rounds => Interlocked.Read(ref _rounds);

    /// <summary>The latest round in which every drained mark checked out (its accounts' state holds their entries).</summary>
    public long CheckedOut => Interlocked.Read(ref _checkedOut);

    /// <summary>
    /// Whether an apply made when <see cref="Rounds"/> read <paramref name="roundAtApply"/> is
    /// certainly verified: its mark (made by the ingestor right after the apply) lands in the next
    /// round or, racing its drain, the one after; a round that checked out at or past that holds it.
    /// Marks made by other nodes' ingestors (cluster mode) are not counted here.
    /// </summary>
    public bool IsCheckedOut(long roundAtApply) => CheckedOut >= roundAtApply + 2;

    /// <summary>The checkpoint round <paramref name="round"/> (from <see cref="Drain(out long)"/>) checked out.</summary>
    public void RoundCheckedOut(long round)
    {
        long seen;
        while (round > (seen = Interlocked.Read(ref _checkedOut)) && Interlocked.CompareExchange(ref _checkedOut, round, seen) != seen)
        {
        }
    }

    /// <summary>
    /// The account changed. <paramref name="logSequence"/> and <paramref name="activation"/>: the
    /// log entry that changed it and the grain activation that applied it (0: not from the log).
    /// </summary>
    public void Mark(string accountId, long logSequence = 0, long activation = 0)
    {
        lock (_gate)
        {
            _ids.TryGetValue(accountId, out var mark);
            _ids[accountId] = mark.With(logSequence, activation);
        }
    }

    /// <summary>The accounts of one log entry and what each grain did, under one lock (the ingest hot path).</summary>
    public void MarkApplied(string[] accountIds, ApplyResult[] results, long logSequence)
    {
        lock (_gate)
        {
            for (int i = 0; i < accountIds.Length; i++)
            {
                _ids.TryGetValue(accountIds[i], out var mark);
                _ids[accountIds[i]] = mark.With(logSequence, results[i].Activation);
            }
        }
    }

    /// <summary>Puts a drained mark back (its checkpoint failed), merged with any new one.</summary>
    public void Restore(string accountId, DirtyMark mark)
    {
        lock (_gate)
        {
            _ids[accountId] = _ids.TryGetValue(accountId, out var newer) ? mark.Merge(newer) : mark;
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

    /// <summary>
    /// An account on this silo wrote its state as it deactivated, and the state now names
    /// <paramref name="holders"/> as activations whose entries it holds (its hand-off list). A
    /// checkpoint checks the account's mark against them instead of calling it: a call would
    /// activate it again, reading its state back into memory — under memory pressure, undoing
    /// the very shedding that deactivated it (measured: thousands of shed accounts a round came
    /// back this way). Looked up when the checkpoint gets to the account, not when it starts: a
    /// paced round takes seconds, and accounts are shed meanwhile. Kept for the round in progress
    /// and the next (marks are verified within a few rounds of their apply); a mark older than
    /// that falls back to asking the account.
    /// </summary>
    public void HandedOff(string accountId, long[] holders)
    {
        lock (_gate)
        {
            _handedOffBefore.Remove(accountId);
            _handedOff[accountId] = holders;
        }
    }

    /// <summary>The account activated again: its recorded hand-off, if any, no longer covers it.</summary>
    public void Activated(string accountId)
    {
        lock (_gate)
        {
            if (_handedOff.Count + _handedOffBefore.Count > 0)
            {
                _handedOff.Remove(accountId);
                _handedOffBefore.Remove(accountId);
            }
        }
    }

    /// <summary>The hand-off list an account on this silo wrote as it deactivated, if it has not activated since.</summary>
    public bool TryGetHandOff(string accountId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out long[]? holders)
    {
        lock (_gate)
        {
            return _handedOff.TryGetValue(accountId, out holders) || _handedOffBefore.TryGetValue(accountId, out holders);
        }
    }

    /// <summary>Takes the current set, leaving an empty one for changes from now on; hand-offs age by one round.</summary>
    public IReadOnlyDictionary<string, DirtyMark> Drain() => Drain(out _);

    /// <summary>As <see cref="Drain()"/>, numbering the round (see <see cref="RoundCheckedOut"/>).</summary>
    public IReadOnlyDictionary<string, DirtyMark> Drain(out long round)
    {
        lock (_gate)
        {
            round = Interlocked.Increment(ref _rounds);
            var taken = _ids;
            _ids = new Dictionary<string, DirtyMark>(StringComparer.Ordinal);
            _handedOffBefore = _handedOff;
            _handedOff = new Dictionary<string, long[]>(StringComparer.Ordinal);
            return taken;
        }
    }
}

/// <summary>
/// What the log did to one account since the last checkpoint: the highest entry, and which grain
/// activations applied the entries: <see cref="Activation"/>, and <see cref="Others"/> when more
/// did (an activation ended in between: shed, collected, or its silo died). Past
/// <see cref="TrackedActivations"/> the mark stops counting and is <see cref="Mixed"/>.
/// </summary>
public readonly record struct DirtyMark(long Sequence, long Activation, bool Mixed, long[]? Others = null)
{
    /// <summary>
    /// As many as an account's state remembers handed-off activations
    /// (<see cref="Accounts.AccountGrain.HandedOffKept"/>): more could never check out.
    /// </summary>
    public const int TrackedActivations = Accounts.AccountGrain.HandedOffKept;

    /// <summary>Every activation named, first one first.</summary>
    public IEnumerable<long> Activations => Activation == 0 ? [] : [Activation, .. Others ?? []];

    public DirtyMark With(long sequence, long activation)
    {
        long seq = Math.Max(Sequence, sequence);
        if (activation == 0 || activation == Activation || Mixed || (Others is { } known && Array.IndexOf(known, activation) >= 0))
        {
            return this with { Sequence = seq };
        }
        if (Activation == 0)
        {
            return this with { Sequence = seq, Activation = activation };
        }
        int count = Others?.Length ?? 0;
        if (count + 1 >= TrackedActivations)
        {
            return this with { Sequence = seq, Mixed = true, Others = null };
        }
        // Copied, not grown in place: a drained mark may be restored while a new one is made.
        var others = new long[count + 1];
        Others?.CopyTo(others, 0);
        others[count] = activation;
        return this with { Sequence = seq, Others = others };
    }

    public DirtyMark Merge(DirtyMark other)
    {
        var merged = this;
        foreach (long activation in other.Activations)
        {
            merged = merged.With(0, activation);
        }
        merged = merged.With(other.Sequence, 0);
        return other.Mixed ? merged with { Mixed = true, Others = null } : merged;
    }

    /// <summary>Whether a state held by <paramref name="holders"/> provably holds every entry of this mark.</summary>
    public bool IsHeldBy(StateHolders holders) =>
        Activation == 0 || (!Mixed && holders.Holds(Activation) && (Others is null || Array.TrueForAll(Others, holders.Holds)));
}

/// <summary>
/// Silo-local set of VoC comment months (store keys) with comments not yet written; the stores
/// mark themselves, the checkpointer writes them with the accounts.
/// </summary>
public sealed class DirtyCommentMonths
{
    // A lock rather than swapping a concurrent set: a mark racing the swap could be lost.
    private readonly object _gate = new();
    private HashSet<string> _keys = new(StringComparer.Ordinal);

    public void Mark(string key)
    {
        lock (_gate)
        {
            _keys.Add(key);
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _keys.Count;
            }
        }
    }

    /// <summary>Takes the current set, leaving an empty one for changes from now on.</summary>
    public ICollection<string> Drain()
    {
        lock (_gate)
        {
            var taken = _keys;
            _keys = new HashSet<string>(StringComparer.Ordinal);
            return taken;
        }
    }
}
