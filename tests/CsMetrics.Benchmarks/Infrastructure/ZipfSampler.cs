namespace CsMetrics.Benchmarks.Infrastructure;

/// <summary>
/// Draws ranks 0..n-1 with probability ∝ 1/(rank+1)^s: a few accounts are very busy, most are
/// quiet, as in real SaaS telemetry. Inverse-CDF over a precomputed table (binary search), so a
/// draw is O(log n) and the sequence depends only on the seed.
/// </summary>
public sealed class ZipfSampler
{
    private readonly double[] _cumulative;

    public ZipfSampler(int n, double exponent)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        _cumulative = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            sum += 1.0 / Math.Pow(i + 1, exponent);
            _cumulative[i] = sum;
        }
        for (int i = 0; i < n; i++)
        {
            _cumulative[i] /= sum;
        }
    }

    public int Count => _cumulative.Length;

    public int Next(Random random)
    {
        double u = random.NextDouble();
        int index = Array.BinarySearch(_cumulative, u);
        return Math.Min(index < 0 ? ~index : index, _cumulative.Length - 1);
    }
}
