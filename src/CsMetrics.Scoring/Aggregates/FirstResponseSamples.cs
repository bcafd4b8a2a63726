namespace CsMetrics.Scoring.Aggregates;

/// <summary>
/// The most recent first-response times (hours), by the day of the response, in a ring of at
/// most <see cref="Capacity"/>. The arrays grow with the samples (most accounts have a handful:
/// a full ring up front cost 3 KB per account, measured by the memory benchmark) and stop
/// growing at the capacity, after which the oldest sample is overwritten.
/// The median over a window is taken from a stack copy (no allocation, bounded work) and kept
/// until a sample arrives or the window moves: every rescore asks for it, and sorting up to 256
/// samples per signal was the biggest single cost of the scorer (engine profile).
/// </summary>
internal sealed class FirstResponseSamples
{
    public const int Capacity = 256;
    private const int InitialSize = 4;
    private int[] _days = [];
    private double[] _hours = [];
    private int _next;
    private int _count;

    // The last median computed, for which window start; invalidated by Add.
    private int _cachedFrom = int.MinValue;
    private bool _cachedHas;
    private double _cachedMedian;

    public int Count => _count;

    public void Add(int day, double hours)
    {
        if (_count == _days.Length && _count < Capacity)
        {
            // Still filling (so _next == _count): grow, keeping the samples in place.
            int size = Math.Min(Capacity, Math.Max(InitialSize, _days.Length * 2));
            Array.Resize(ref _days, size);
            Array.Resize(ref _hours, size);
        }
        _cachedFrom = int.MinValue;
        _days[_next] = day;
        _hours[_next] = hours;
        _next = (_next + 1) % Capacity;
        if (_count < Capacity)
        {
            _count++;
        }
    }

    public bool TryMedian(int fromDay, out double median)
    {
        if (fromDay == _cachedFrom && fromDay != int.MinValue)
        {
            median = _cachedMedian;
            return _cachedHas;
        }
        _cachedHas = ComputeMedian(fromDay, out _cachedMedian);
        _cachedFrom = fromDay;
        median = _cachedMedian;
        return _cachedHas;
    }

    private bool ComputeMedian(int fromDay, out double median)
    {
        // Only as many slots as samples: a 256-slot buffer is zeroed on every call.
        Span<double> values = stackalloc double[Math.Max(1, _count)];
        int n = 0;
        for (int i = 0; i < _count; i++)
        {
            if (_days[i] >= fromDay)
            {
                values[n++] = _hours[i];
            }
        }
        if (n == 0)
        {
            median = 0;
            return false;
        }
        var v = values[..n];
        v.Sort();
        median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
        return true;
    }

    internal IEnumerable<(int Day, double Hours)> Items()
    {
        // Oldest first, so a reload keeps the ring's eviction order.
        int start = _count < Capacity ? 0 : _next;
        for (int k = 0; k < _count; k++)
        {
            int i = (start + k) % Capacity;
            yield return (_days[i], _hours[i]);
        }
    }
}
