using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace CsMetrics.Scoring.Aggregates;

/// <summary>
/// The memory of applied signal ids, by the server day they arrived on. Every id that arrived
/// within the last <see cref="WindowDays"/> days (plus today) is remembered, so a producer's
/// re-send within a week is always caught; older ids are forgotten, which bounds the memory.
/// Ids are kept as 64-bit XxHash3 values (8 bytes each instead of the string): two different
/// ids collide with probability ~n²/2⁶⁵, about 3·10⁻⁸ for a million ids in one account's week.
/// </summary>
internal sealed class SeenIds
{
    public const int WindowDays = 7;
    private const int Slots = WindowDays + 1;

    private readonly int[] _days = new int[Slots];
    private readonly HashSet<ulong>?[] _sets = new HashSet<ulong>?[Slots];

    public static ulong Hash(string id) => XxHash3.HashToUInt64(MemoryMarshal.AsBytes(id.AsSpan()));

    public bool Contains(string id) => Contains(Hash(id));

    public bool Contains(ulong hash)
    {
        for (int i = 0; i < Slots; i++)
        {
            if (_sets[i] is { } set && set.Contains(hash))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Adds the id under its arrival day; false if it was already there.</summary>
    public bool TryAdd(string id, int arrivalDay) => TryAdd(Hash(id), arrivalDay);

    public bool TryAdd(ulong hash, int arrivalDay)
    {
        int newest = 0;
        for (int i = 0; i < Slots; i++)
        {
            newest = Math.Max(newest, _days[i]);
        }
        newest = Math.Max(newest, arrivalDay);
        int arrivalSlot = ((arrivalDay % Slots) + Slots) % Slots;
        bool remembered = arrivalDay > newest - Slots;
        for (int i = 0; i < Slots; i++)
        {
            if (_sets[i] is { } set)
            {
                if (_days[i] <= newest - Slots)
                {
                    // Out of the window: forget the whole day at once. The set about to take
                    // today's ids keeps its capacity (Clear does not shrink), so a busy account
                    // in steady state rotates its days without allocating; others free theirs.
                    set.Clear();
                    if (i != arrivalSlot || !remembered)
                    {
                        _sets[i] = null;
                    }
                    _days[i] = 0;
                }
                else if (set.Contains(hash))
                {
                    return false;
                }
            }
        }

        if (!remembered)
        {
            // An arrival older than the window (the clock stepped back): not a known duplicate,
            // but remembering it would overwrite a newer day's ids that share its slot.
            return true;
        }

        int slot = arrivalSlot;
        if (_sets[slot] is null || _days[slot] != arrivalDay)
        {
            if (_sets[slot] is { Count: 0 })
            {
                // Cleared just above (its day left the window): today's ids go into it.
                _days[slot] = arrivalDay;
            }
            else
            {
                _sets[slot] = new HashSet<ulong>();
                _days[slot] = arrivalDay;
            }
        }
        SmallMaps.BeforeAdd(_sets[slot]!);
        _sets[slot]!.Add(hash);
        return true;
    }

    public int Count
    {
        get
        {
            int n = 0;
            foreach (var s in _sets)
            {
                n += s?.Count ?? 0;
            }
            return n;
        }
    }

    internal IEnumerable<(int Day, HashSet<ulong> Set)> Days()
    {
        for (int i = 0; i < Slots; i++)
        {
            if (_sets[i] is { } s)
            {
                yield return (_days[i], s);
            }
        }
    }

    internal void Load(int day, HashSet<ulong> set)
    {
        int slot = ((day % Slots) + Slots) % Slots;
        _days[slot] = day;
        _sets[slot] = set;
    }
}
