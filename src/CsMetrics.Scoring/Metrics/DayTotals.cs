using CsMetrics.Scoring.Aggregates;

namespace CsMetrics.Scoring.Metrics;

/// <summary>
/// A total per day (an account's usage events), kept for the account's whole life: two parallel
/// arrays sorted by day, 12 bytes a day (plus growth slack). A Dictionary took about 28 bytes a
/// day with its buckets, grown by a third: an account active every day for a year held ~12 KB
/// of it, now ~5 KB. New days are almost always the latest, so adding one is an append; a late
/// signal for an earlier day finds it by binary search (and inserts, rarely). Walks are in day order.
/// </summary>
internal sealed class DayTotals
{
    private int[] _days = [];
    private long[] _totals = [];
    private int _count;

    /// <summary>Days with a total.</summary>
    public int Count => _count;

    /// <summary>Adds <paramref name="amount"/> to the day's total (the day added if new).</summary>
    public void Add(int day, long amount)
    {
        int last = _count - 1;
        if (last >= 0 && _days[last] == day)
        {
            _totals[last] += amount;
            return;
        }
        int at = last < 0 || day > _days[last] ? _count : Array.BinarySearch(_days, 0, _count, day);
        if (at >= 0 && at < _count)
        {
            _totals[at] += amount;
            return;
        }
        at = at < 0 ? ~at : at;
        if (_count == _days.Length)
        {
            int capacity = _count == 0 ? 4 : SmallMaps.Grown(_count);
            Array.Resize(ref _days, capacity);
            Array.Resize(ref _totals, capacity);
        }
        Array.Copy(_days, at, _days, at + 1, _count - at);
        Array.Copy(_totals, at, _totals, at + 1, _count - at);
        _days[at] = day;
        _totals[at] = amount;
        _count++;
    }

    /// <summary>The day's total (0 if none).</summary>
    public long this[int day]
    {
        get
        {
            int at = Array.BinarySearch(_days, 0, _count, day);
            return at >= 0 ? _totals[at] : 0;
        }
    }

    public Enumerator GetEnumerator() => new(this);

    /// <summary>(day, total) pairs in day order.</summary>
    public struct Enumerator(DayTotals totals)
    {
        private int _index = -1;

        public readonly (int Day, long Total) Current => (totals._days[_index], totals._totals[_index]);

        public bool MoveNext() => ++_index < totals._count;
    }

    /// <summary>Count, then day/total pairs (days ascending; the reader takes any order).</summary>
    public void Write(BinaryWriter w)
    {
        w.Write(_count);
        for (int i = 0; i < _count; i++)
        {
            w.Write(_days[i]);
            w.Write(_totals[i]);
        }
    }

    /// <summary>Reads what <see cref="Write"/> wrote, or the older map's pairs in insertion order (the same layout).</summary>
    public void Read(BinaryReader r)
    {
        int n = r.ReadInt32();
        if (n > _days.Length - _count)
        {
            Array.Resize(ref _days, _count + n);
            Array.Resize(ref _totals, _count + n);
        }
        for (int i = 0; i < n; i++)
        {
            int day = r.ReadInt32();
            Add(day, r.ReadInt64());
        }
    }
}
