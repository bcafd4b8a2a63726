using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace CsMetrics.Scoring.Aggregates;

/// <summary>
/// The memory of applied signal ids, by the server day they arrived on. Every id that arrived
/// within the last <see cref="WindowDays"/> days (plus today) is remembered, so a producer's
/// re-send within a week is always caught; older ids are forgotten, which bounds the memory.
/// Ids are kept as 64-bit XxHash3 values (8 bytes each instead of the string): two different
/// ids collide with probability ~n²/2⁶⁵, about 3·10⁻⁸ for a million ids in one account's week.
/// <para>
/// One open-addressing table (linear probing) over the whole window, each entry tagged with the
/// ring slot of its arrival day (day mod 8). A lookup is one probe sequence instead of one per
/// remembered day: a Zipf-hot account holds thousands of ids a day, and eight separate day sets
/// meant eight cache misses per new id. When a day leaves the window its entries are deleted in
/// one sweep of the table (once per account per day, in place), so the table a busy account
/// reaches is reused day after day without allocating. 9 bytes a slot at 60–80 % load
/// (about 11–15 bytes an id) against a HashSet's 20 bytes a slot.
/// </para>
/// </summary>
internal sealed class SeenIds
{
    public const int WindowDays = 7;
    private const int Slots = WindowDays + 1;
    /// <summary>Tag of an empty table slot; an entry's tag is its ring slot + 1.</summary>
    private const byte Empty = 0;
    private const int MinCapacity = 8;

    /// <summary>The arrival day each ring slot holds (meaningful while its count is above zero).</summary>
    private readonly int[] _slotDays = new int[Slots];
    private readonly int[] _slotCounts = new int[Slots];
    /// <summary>The newest arrival day remembered (0: none yet).</summary>
    private int _newest;

    private ulong[] _ids = [];
    private byte[] _tags = [];
    private int _count;

    public static ulong Hash(string id) => XxHash3.HashToUInt64(MemoryMarshal.AsBytes(id.AsSpan()));

    public bool Contains(string id) => Contains(Hash(id));

    public bool Contains(ulong hash) => Find(hash) >= 0;

    /// <summary>Adds the id under its arrival day; false if it was already there.</summary>
    public bool TryAdd(string id, int arrivalDay) => TryAdd(Hash(id), arrivalDay);

    public bool TryAdd(ulong hash, int arrivalDay)
    {
        if (arrivalDay > _newest)
        {
            _newest = arrivalDay;
            ForgetDaysUpTo(_newest - Slots);
        }
        if (Find(hash) >= 0)
        {
            return false;
        }
        if (arrivalDay <= _newest - Slots)
        {
            // An arrival older than the window (the clock stepped back): not a known duplicate,
            // and not remembered (its ring slot belongs to a newer day).
            return true;
        }
        int slot = SlotOf(arrivalDay);
        if (_slotCounts[slot] > 0 && _slotDays[slot] != arrivalDay)
        {
            // Only a day that left the window can share the slot, and those were forgotten when
            // the newest day moved; a loaded state may still hold one.
            ForgetDaysUpTo(_newest - Slots);
        }
        Insert(hash, slot);
        _slotDays[slot] = arrivalDay;
        _slotCounts[slot]++;
        return true;
    }

    public int Count => _count;

    /// <summary>
    /// The remembered days, each with its id hashes in ascending order (allocates; persistence
    /// writes them with <see cref="WriteTo"/>).
    /// Sorted so that equal memories write equal bytes, whatever their table's layout.
    /// </summary>
    internal IEnumerable<(int Day, ulong[] Ids)> Days()
    {
        for (int slot = 0; slot < Slots; slot++)
        {
            if (_slotCounts[slot] == 0)
            {
                continue;
            }
            var ids = new ulong[_slotCounts[slot]];
            SortedIdsOf(slot, ids);
            yield return (_slotDays[slot], ids);
        }
    }

    /// <summary>The ids of one ring slot, ascending, into <paramref name="ids"/> (exactly its count long).</summary>
    private void SortedIdsOf(int slot, Span<ulong> ids)
    {
        int n = 0;
        byte tag = (byte)(slot + 1);
        for (int i = 0; i < _tags.Length; i++)
        {
            if (_tags[i] == tag)
            {
                ids[n++] = _ids[i];
            }
        }
        ids.Sort();
    }

    /// <summary>
    /// Writes what <see cref="Days"/> yields, in the same bytes: the number of remembered days,
    /// then each day, its id count and its ids in ascending order. Sorted in a pooled buffer: the
    /// arrays <see cref="Days"/> makes were 3 % of the engine's allocated bytes (every checkpoint
    /// of an account copied its whole id memory out, a Zipf-hot account's thousands of ids a day).
    /// </summary>
    internal void WriteTo(BinaryWriter w)
    {
        int days = 0;
        for (int slot = 0; slot < Slots; slot++)
        {
            days += _slotCounts[slot] > 0 ? 1 : 0;
        }
        w.Write(days);
        for (int slot = 0; slot < Slots; slot++)
        {
            int count = _slotCounts[slot];
            if (count == 0)
            {
                continue;
            }
            ulong[] rented = System.Buffers.ArrayPool<ulong>.Shared.Rent(count);
            var ids = rented.AsSpan(0, count);
            SortedIdsOf(slot, ids);
            w.Write(_slotDays[slot]);
            w.Write(count);
            foreach (ulong h in ids)
            {
                w.Write(h);
            }
            System.Buffers.ArrayPool<ulong>.Shared.Return(rented);
        }
    }

    /// <summary>Restores one persisted day (days are loaded before any new arrival).</summary>
    internal void Load(int day, ReadOnlySpan<ulong> ids)
    {
        _newest = Math.Max(_newest, day);
        int slot = SlotOf(day);
        if (_slotCounts[slot] > 0 && _slotDays[slot] != day)
        {
            // Two persisted days in one ring slot cannot come from this class; keep the newer.
            if (_slotDays[slot] > day)
            {
                return;
            }
            ForgetSlot(slot);
        }
        _slotDays[slot] = day;
        foreach (ulong id in ids)
        {
            if (Find(id) < 0)
            {
                Insert(id, slot);
                _slotCounts[slot]++;
            }
        }
    }

    /// <summary>Table capacity (for tests: a steady account keeps its table).</summary>
    internal int Capacity => _tags.Length;

    private static int SlotOf(int day) => ((day % Slots) + Slots) % Slots;

    /// <summary>Home index of a hash in a table of <paramref name="capacity"/> slots.</summary>
    private static int Home(ulong hash, int capacity)
    {
        // Fibonacci mixing first (tests and replays use sequential ids), then a multiply-shift
        // range reduction, which needs no power-of-two capacity.
        ulong mixed = hash * 0x9E3779B97F4A7C15UL;
        return (int)(((mixed >> 32) * (ulong)(uint)capacity) >> 32);
    }

    private int Find(ulong hash)
    {
        if (_count == 0)
        {
            return -1;
        }
        var ids = _ids;
        var tags = _tags;
        int i = Home(hash, tags.Length);
        while (tags[i] != Empty)
        {
            if (ids[i] == hash)
            {
                return i;
            }
            if (++i == tags.Length)
            {
                i = 0;
            }
        }
        return -1;
    }

    /// <summary>Inserts a hash known to be absent.</summary>
    private void Insert(ulong hash, int slot)
    {
        // At most 80 % full: linear probing's misses stay short; grows like the per-account maps.
        if ((_count + 1) * 5 > _tags.Length * 4)
        {
            Resize(Math.Max(MinCapacity, SmallMaps.Grown(_tags.Length)));
        }
        Place(_ids, _tags, hash, (byte)(slot + 1));
        _count++;
    }

    private static void Place(ulong[] ids, byte[] tags, ulong hash, byte tag)
    {
        int i = Home(hash, tags.Length);
        while (tags[i] != Empty)
        {
            if (++i == tags.Length)
            {
                i = 0;
            }
        }
        ids[i] = hash;
        tags[i] = tag;
    }

    private void Resize(int capacity)
    {
        var ids = new ulong[capacity];
        var tags = new byte[capacity];
        for (int i = 0; i < _tags.Length; i++)
        {
            if (_tags[i] != Empty)
            {
                Place(ids, tags, _ids[i], _tags[i]);
            }
        }
        _ids = ids;
        _tags = tags;
    }

    private void ForgetDaysUpTo(int lastForgottenDay)
    {
        for (int slot = 0; slot < Slots; slot++)
        {
            if (_slotCounts[slot] > 0 && _slotDays[slot] <= lastForgottenDay)
            {
                ForgetSlot(slot);
            }
        }
        if (_count == 0 && _tags.Length > 0)
        {
            // A quiet account gives its table back.
            _ids = [];
            _tags = [];
        }
        else if (_count * 8 < _tags.Length && _tags.Length > MinCapacity * 4)
        {
            // A busy week followed by a quiet one: shrink to about 57 % full.
            Resize(Math.Max(MinCapacity, _count * 7 / 4 + 1));
        }
    }

    /// <summary>Deletes every entry of one ring slot in a single pass, in place.</summary>
    private void ForgetSlot(int slot)
    {
        byte tag = (byte)(slot + 1);
        var tags = _tags;
        int i = 0;
        while (i < tags.Length)
        {
            if (tags[i] == tag)
            {
                // Backward-shift deletion may move a later entry into i: look at i again. Entries
                // only move into the hole, so a kept entry before i stays before or wraps past the
                // end, where it is looked at again and kept.
                RemoveAt(i);
                _count--;
            }
            else
            {
                i++;
            }
        }
        _slotCounts[slot] = 0;
        _slotDays[slot] = 0;
    }

    /// <summary>Linear probing's deletion without tombstones: shift later entries of the run back.</summary>
    private void RemoveAt(int hole)
    {
        var ids = _ids;
        var tags = _tags;
        int n = tags.Length;
        int j = hole;
        while (true)
        {
            if (++j == n)
            {
                j = 0;
            }
            if (tags[j] == Empty)
            {
                break;
            }
            int home = Home(ids[j], n);
            // The entry at j may fill the hole unless its home lies cyclically in (hole, j].
            bool homeBetween = hole <= j ? home > hole && home <= j : home > hole || home <= j;
            if (!homeBetween)
            {
                ids[hole] = ids[j];
                tags[hole] = tags[j];
                hole = j;
            }
        }
        ids[hole] = 0;
        tags[hole] = Empty;
    }
}
