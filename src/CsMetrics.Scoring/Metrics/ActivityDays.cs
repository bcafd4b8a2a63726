namespace CsMetrics.Scoring.Metrics;

/// <summary>
/// On which days each subject (a user, a user of one feature, a feature) was active, as one
/// 32-bit mask per subject and 32-day block. Exact for any period, far smaller than a list of
/// days: a user active every day of five years costs 57 masks (under 1 KB).
/// <para>
/// Kept as a small open-addressing table (linear probing, at most 3/4 full) in two parallel
/// arrays, 12 bytes a slot, created on the first mark: a Dictionary costs 28 bytes a slot plus
/// an 80-byte object, for each of an account's four kinds of activity (a million accounts resident).
/// </para>
/// </summary>
internal sealed class ActivityDays
{
    /// <summary>Key + 1 per slot (0: empty). Keys are never −1: subjects are indexes (≥ 0).</summary>
    private long[]? _keys;
    private uint[]? _masks;
    private int _count;

    public int Count => _count;

    private static long Key(int subject, int block) => ((long)subject << 32) | (uint)block;

    /// <summary>Marks the day; true when the subject was not yet active that day.</summary>
    public bool Mark(int subject, int day)
    {
        int block = day >> 5;
        uint bit = 1u << (day & 31);
        ref uint mask = ref MaskOf(Key(subject, block));
        if ((mask & bit) != 0)
        {
            return false;
        }
        mask |= bit;
        return true;
    }

    /// <summary>
    /// Every (subject, day) pair, grouped by subject with days ascending. A struct walk over the
    /// entries sorted into a pooled array (returned when the foreach ends): the metrics facts walk
    /// every account's activity on each publish, and a fresh array or an iterator object each time
    /// was a steady share of the engine's allocations.
    /// </summary>
    public Pairs All() => new(this);

    public readonly struct Pairs(ActivityDays days)
    {
        public PairEnumerator GetEnumerator() => new(days);

        /// <summary>The pairs as a list (for callers that want a collection, such as tests).</summary>
        public List<(int Subject, int Day)> ToList()
        {
            var list = new List<(int Subject, int Day)>();
            foreach (var pair in this)
            {
                list.Add(pair);
            }
            return list;
        }
    }

    public ref struct PairEnumerator
    {
        private (long Key, uint Mask)[]? _entries;
        private readonly int _count;
        private int _index;
        private int _subject;
        private int _firstDay;
        private uint _mask;

        internal PairEnumerator(ActivityDays days)
        {
            _entries = days.SortedRented(out _count);
            _index = -1;
        }

        public (int Subject, int Day) Current { get; private set; }

        public bool MoveNext()
        {
            while (_mask == 0)
            {
                if (_entries is null || ++_index >= _count)
                {
                    return false;
                }
                var (key, mask) = _entries[_index];
                _subject = (int)(key >> 32);
                _firstDay = (int)(uint)key << 5;
                _mask = mask;
            }
            int bit = System.Numerics.BitOperations.TrailingZeroCount(_mask);
            _mask &= _mask - 1;
            Current = (_subject, _firstDay + bit);
            return true;
        }

        public void Dispose()
        {
            if (_entries is not null)
            {
                System.Buffers.ArrayPool<(long Key, uint Mask)>.Shared.Return(_entries);
                _entries = null;
            }
        }
    }

    /// <summary>Count, then key/mask pairs in key order (older versions wrote insertion order; any order reads).</summary>
    public void Write(BinaryWriter w)
    {
        w.Write(_count);
        var entries = SortedRented(out int n);
        for (int i = 0; i < n; i++)
        {
            w.Write(entries[i].Key);
            w.Write(entries[i].Mask);
        }
        System.Buffers.ArrayPool<(long Key, uint Mask)>.Shared.Return(entries);
    }

    public void Read(BinaryReader r)
    {
        int n = r.ReadInt32();
        for (int i = 0; i < n; i++)
        {
            long key = r.ReadInt64();
            MaskOf(key) = r.ReadUInt32();
        }
    }

    /// <summary>The entries in key order, in the first <paramref name="n"/> slots of an array rented from the shared pool (the caller returns it).</summary>
    private (long Key, uint Mask)[] SortedRented(out int n)
    {
        var entries = System.Buffers.ArrayPool<(long Key, uint Mask)>.Shared.Rent(Math.Max(1, _count));
        n = 0;
        if (_keys is null)
        {
            return entries;
        }
        for (int i = 0; i < _keys.Length; i++)
        {
            if (_keys[i] != 0)
            {
                entries[n++] = (_keys[i] - 1, _masks![i]);
            }
        }
        entries.AsSpan(0, n).Sort(static (a, b) => a.Key.CompareTo(b.Key));
        return entries;
    }

    /// <summary>The mask of the key, added as 0 if missing.</summary>
    private ref uint MaskOf(long key)
    {
        long stored = key + 1;
        if (_keys is not null)
        {
            int i = Find(_keys, stored);
            if (_keys[i] == stored)
            {
                return ref _masks![i];
            }
            if ((_count + 1) * 4 <= _keys.Length * 3)
            {
                _keys[i] = stored;
                _count++;
                return ref _masks![i];
            }
        }
        Grow();
        int at = Find(_keys!, stored);
        _keys![at] = stored;
        _count++;
        return ref _masks![at];
    }

    /// <summary>The slot holding <paramref name="stored"/>, or the empty slot where it would go.</summary>
    private static int Find(long[] keys, long stored)
    {
        int mask = keys.Length - 1;
        int i = Slot(stored - 1, mask);
        while (keys[i] != stored && keys[i] != 0)
        {
            i = (i + 1) & mask;
        }
        return i;
    }

    private static int Slot(long key, int mask) => (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> 32) & mask;

    private void Grow()
    {
        var oldKeys = _keys;
        var oldMasks = _masks;
        int size = oldKeys is null ? 4 : oldKeys.Length * 2;
        _keys = new long[size];
        _masks = new uint[size];
        if (oldKeys is null)
        {
            return;
        }
        int mask = size - 1;
        for (int j = 0; j < oldKeys.Length; j++)
        {
            long stored = oldKeys[j];
            if (stored == 0)
            {
                continue;
            }
            int i = Slot(stored - 1, mask);
            while (_keys[i] != 0)
            {
                i = (i + 1) & mask;
            }
            _keys[i] = stored;
            _masks[i] = oldMasks![j];
        }
    }
}
