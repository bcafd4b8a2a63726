namespace CsMetrics.Scoring.Aggregates;

/// <summary>
/// The latest day of each entry of a table kept elsewhere — the metrics history's user and
/// feature tables, which already map each name to a dense index. An array by index instead of a
/// second string-keyed map per account: the names are stored and hashed once.
/// </summary>
internal sealed class LastDays
{
    /// <summary>No day yet (a user the history knows only from self-service signals).</summary>
    public const int Never = int.MinValue;

    private int[] _days = [];

    /// <summary>Entries with a day.</summary>
    public int Count { get; private set; }

    public int this[int index] => (uint)index < (uint)_days.Length ? _days[index] : Never;

    /// <summary>Every slot, <see cref="Never"/> included.</summary>
    public ReadOnlySpan<int> Days => _days;

    /// <summary>
    /// Moves an entry's day forward (an older day changes nothing). True when it changed;
    /// <paramref name="previous"/> is the day before, or <see cref="Never"/>.
    /// </summary>
    public bool TryAdvance(int index, int day, out int previous)
    {
        if (index >= _days.Length)
        {
            Grow(index + 1);
        }
        ref int last = ref _days[index];
        previous = last;
        if (last == Never)
        {
            Count++;
        }
        else if (day <= last)
        {
            return false;
        }
        last = day;
        return true;
    }

    /// <summary>
    /// Writes the entries with a day by name, in the table's order, exactly as
    /// <see cref="BinaryMaps.Write(BinaryWriter, Dictionary{string, int}?)"/> writes a map of them
    /// (the format of the maps these were before): a count, then each name and day. Without
    /// building that map: it was 2 % of the engine's allocated bytes, at every checkpoint write.
    /// </summary>
    public void Write(BinaryWriter w, Dictionary<string, int> table)
    {
        int count = 0;
        foreach (var (_, index) in table)
        {
            if (this[index] != Never)
            {
                count++;
            }
        }
        w.Write(count);
        foreach (var (name, index) in table)
        {
            if (this[index] is var day and not Never)
            {
                w.Write(name);
                w.Write(day);
            }
        }
    }

    /// <summary>Restores days by name; <paramref name="indexOf"/> finds (or adds) the name's index, -1 over its cap.</summary>
    public void Load(Dictionary<string, int> map, Func<string, int> indexOf)
    {
        foreach (var (name, day) in map)
        {
            if (indexOf(name) is var index and >= 0)
            {
                TryAdvance(index, day, out _);
            }
        }
    }

    private void Grow(int needed)
    {
        // Like the per-account maps: most accounts stay small.
        int size = Math.Max(needed, Math.Max(4, SmallMaps.Grown(_days.Length)));
        var grown = new int[size];
        Array.Copy(_days, grown, _days.Length);
        Array.Fill(grown, Never, _days.Length, size - _days.Length);
        _days = grown;
    }
}
