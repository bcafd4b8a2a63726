using CsMetrics.Scoring.Aggregates;

namespace CsMetrics.Scoring.Metrics;

/// <summary>
/// On which days each subject (a user, a user of one feature, a feature) was active, as one
/// 32-bit mask per subject and 32-day block. Exact for any period, far smaller than a list of
/// days: a user active every day of five years costs 57 masks (under 1 KB).
/// </summary>
internal sealed class ActivityDays
{
    /// <summary>Created on the first mark: many accounts never mark some of their activity kinds.</summary>
    private Dictionary<long, uint>? _masks;

    public int Count => _masks?.Count ?? 0;

    private static long Key(int subject, int block) => ((long)subject << 32) | (uint)block;

    /// <summary>Marks the day; true when the subject was not yet active that day.</summary>
    public bool Mark(int subject, int day)
    {
        int block = day >> 5;
        uint bit = 1u << (day & 31);
        ref uint mask = ref SmallMaps.RefOrAdd(_masks ??= [], Key(subject, block));
        if ((mask & bit) != 0)
        {
            return false;
        }
        mask |= bit;
        return true;
    }

    /// <summary>Every (subject, day) pair, grouped by subject with days ascending.</summary>
    public IEnumerable<(int Subject, int Day)> All()
    {
        if (_masks is null)
        {
            yield break;
        }
        var keys = _masks.Keys.ToArray();
        Array.Sort(keys);
        foreach (long key in keys)
        {
            int subject = (int)(key >> 32);
            int block = (int)(uint)key;
            uint mask = _masks[key];
            while (mask != 0)
            {
                int bit = System.Numerics.BitOperations.TrailingZeroCount(mask);
                mask &= mask - 1;
                yield return (subject, (block << 5) + bit);
            }
        }
    }

    public void Write(BinaryWriter w)
    {
        w.Write(Count);
        if (_masks is null)
        {
            return;
        }
        foreach (var (k, v) in _masks)
        {
            w.Write(k);
            w.Write(v);
        }
    }

    public void Read(BinaryReader r)
    {
        int n = r.ReadInt32();
        if (n == 0)
        {
            return;
        }
        _masks ??= new Dictionary<long, uint>(n);
        _masks.EnsureCapacity(n);
        for (int i = 0; i < n; i++)
        {
            _masks[r.ReadInt64()] = r.ReadUInt32();
        }
    }
}
