namespace CsMetrics.Scoring.Aggregates;

/// <summary>
/// The most recent first-response times (hours), by the day of the response, in a fixed ring.
/// The median over a window is taken from a stack copy: no allocation, bounded work.
/// </summary>
internal sealed class FirstResponseSamples
{
    public const int Capacity = 256;
    private readonly int[] _days = new int[Capacity];
    private readonly double[] _hours = new double[Capacity];
    private int _next;
    private int _count;

    public int Count => _count;

    public void Add(int day, double hours)
    {
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
        Span<double> values = stackalloc double[Capacity];
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
