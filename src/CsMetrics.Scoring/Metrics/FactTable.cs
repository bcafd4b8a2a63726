namespace CsMetrics.Scoring.Metrics;

/// <summary>The facts of one kind, day and label, told apart only by their <see cref="FactKey.Aux"/>.</summary>
public readonly record struct BucketKey(FactKind Kind, int Day, string? Label);

/// <summary>
/// The values of one <see cref="BucketKey"/> by Aux, sorted, with prefix sums built on demand:
/// "Aux below x" (distinct users, cohorts) and "Aux above x" (NPS answers not yet superseded) are
/// binary searches, so a period query costs buckets × log(values), not one step per fact.
/// </summary>
public sealed class FactBucket
{
    private int[] _aux = new int[1];
    private decimal[] _values = new decimal[1];
    private int _count;
    private decimal[]? _prefix;

    public int Count => _count;

    public decimal Total => _count == 0 ? 0 : Prefix()[_count];

    public void Add(int aux, decimal value)
    {
        int i = Array.BinarySearch(_aux, 0, _count, aux);
        _prefix = null;
        if (i >= 0)
        {
            _values[i] += value;
            if (_values[i] == 0)
            {
                Array.Copy(_aux, i + 1, _aux, i, _count - i - 1);
                Array.Copy(_values, i + 1, _values, i, _count - i - 1);
                _count--;
            }
            return;
        }
        if (value == 0)
        {
            return;
        }
        i = ~i;
        if (_count == _aux.Length)
        {
            Array.Resize(ref _aux, _count * 2);
            Array.Resize(ref _values, _count * 2);
        }
        Array.Copy(_aux, i, _aux, i + 1, _count - i);
        Array.Copy(_values, i, _values, i + 1, _count - i);
        _aux[i] = aux;
        _values[i] = value;
        _count++;
    }

    /// <summary>Sum of the values whose Aux is below <paramref name="x"/>.</summary>
    public decimal Below(int x)
    {
        int i = Array.BinarySearch(_aux, 0, _count, x);
        return Prefix()[i >= 0 ? i : ~i];
    }

    /// <summary>Sum of the values whose Aux is above <paramref name="x"/>.</summary>
    public decimal Above(int x) => x == int.MaxValue ? 0 : Total - Below(x + 1);

    public IEnumerable<(int Aux, decimal Value)> Entries()
    {
        for (int i = 0; i < _count; i++)
        {
            yield return (_aux[i], _values[i]);
        }
    }

    private decimal[] Prefix()
    {
        if (_prefix is null)
        {
            var prefix = new decimal[_count + 1];
            for (int i = 0; i < _count; i++)
            {
                prefix[i + 1] = prefix[i] + _values[i];
            }
            _prefix = prefix;
        }
        return _prefix;
    }
}

/// <summary>
/// Facts grouped into <see cref="FactBucket"/>s, one map per kind so that a reader interested in
/// a few kinds (the per-segment sentiment) touches only those: how a metrics shard holds its
/// sums, and how a period reads facts.
/// </summary>
public sealed class FactTable
{
    private static readonly int KindCount = Enum.GetValues<FactKind>().Length;

    private readonly Dictionary<(int Day, string? Label), FactBucket>?[] _byKind = new Dictionary<(int, string?), FactBucket>?[KindCount];
    private int _buckets;

    public bool IsEmpty => _buckets == 0;

    public static FactTable From(Dictionary<FactKey, decimal> facts)
    {
        var table = new FactTable();
        table.Add(facts, +1);
        return table;
    }

    /// <summary>
    /// Adds (sign +1) or removes (−1) facts. A map rather than any sequence: enumerated without
    /// boxing its enumerator, and a metrics shard adds every publish to four tables (group,
    /// segment, owner, all), the shard's hot path.
    /// </summary>
    public void Add(Dictionary<FactKey, decimal> facts, int sign)
    {
        foreach (var (k, v) in facts)
        {
            var map = _byKind[(int)k.Kind] ??= [];
            if (!map.TryGetValue((k.Day, k.Label), out var bucket))
            {
                bucket = new FactBucket();
                map[(k.Day, k.Label)] = bucket;
                _buckets++;
            }
            bucket.Add(k.Aux, sign * v);
            if (bucket.Count == 0)
            {
                map.Remove((k.Day, k.Label));
                _buckets--;
            }
        }
    }

    /// <summary>The buckets of one kind (empty when there are none).</summary>
    public IEnumerable<KeyValuePair<(int Day, string? Label), FactBucket>> Of(FactKind kind) =>
        (IEnumerable<KeyValuePair<(int Day, string? Label), FactBucket>>?)_byKind[(int)kind] ?? [];

    /// <summary>Every fact again (for persistence).</summary>
    public IEnumerable<KeyValuePair<FactKey, decimal>> Facts()
    {
        for (int kind = 0; kind < KindCount; kind++)
        {
            foreach (var ((day, label), bucket) in Of((FactKind)kind))
            {
                foreach (var (aux, value) in bucket.Entries())
                {
                    yield return new(new FactKey((FactKind)kind, day, aux, label), value);
                }
            }
        }
    }
}
