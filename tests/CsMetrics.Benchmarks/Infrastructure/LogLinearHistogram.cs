namespace CsMetrics.Benchmarks.Infrastructure;

/// <summary>
/// An HDR-style latency histogram: buckets are linear within each power of two (64 used sub-buckets,
/// so any recorded value is reported within 1/64 ≈ 1.6% of its true value) and logarithmic across powers,
/// from 1 µs to about an hour. Recording is O(1) and allocation-free; thread-safe via Interlocked.
/// </summary>
public sealed class LogLinearHistogram
{
    private const int SubBucketBits = 7;
    private const int SubBuckets = 1 << SubBucketBits;
    private const int Powers = 33;

    private readonly long[] _counts = new long[Powers * SubBuckets];
    private long _total;
    private long _maxMicros;

    public long Count => Interlocked.Read(ref _total);

    public void RecordMilliseconds(double milliseconds) => RecordMicroseconds((long)Math.Round(Math.Max(0, milliseconds) * 1000));

    public void RecordMicroseconds(long micros)
    {
        micros = Math.Max(0, micros);
        Interlocked.Increment(ref _counts[IndexOf(micros)]);
        Interlocked.Increment(ref _total);
        long seen;
        while (micros > (seen = Interlocked.Read(ref _maxMicros)) && Interlocked.CompareExchange(ref _maxMicros, micros, seen) != seen)
        {
        }
    }

    /// <summary>The value at <paramref name="percentile"/> (0–100) in milliseconds: the upper edge of its bucket, capped at the maximum seen.</summary>
    public double PercentileMilliseconds(double percentile)
    {
        long total = Count;
        if (total == 0)
        {
            return double.NaN;
        }
        long rank = Math.Max(1, (long)Math.Ceiling(percentile / 100.0 * total));
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += Interlocked.Read(ref _counts[i]);
            if (seen >= rank)
            {
                return Math.Min(UpperEdgeOf(i), Interlocked.Read(ref _maxMicros)) / 1000.0;
            }
        }
        return Interlocked.Read(ref _maxMicros) / 1000.0;
    }

    public double MaxMilliseconds => Interlocked.Read(ref _maxMicros) / 1000.0;

    /// <summary>Values below 128 µs get exact buckets; above, the top 7 bits after the leading one pick the sub-bucket.</summary>
    internal static int IndexOf(long micros)
    {
        if (micros < SubBuckets)
        {
            return (int)micros;
        }
        int power = 63 - (int)long.LeadingZeroCount(micros) - SubBucketBits + 1;
        if (power >= Powers)
        {
            return Powers * SubBuckets - 1;
        }
        int sub = (int)(micros >> power) - SubBuckets / 2;
        return power * SubBuckets + SubBuckets / 2 + sub;
    }

    internal static long UpperEdgeOf(int index)
    {
        if (index < SubBuckets)
        {
            return index;
        }
        int power = index / SubBuckets;
        int sub = index % SubBuckets;
        // Bucket [power, sub] holds values whose top bits are sub (64..127) shifted left by power.
        return ((long)(sub + 1) << power) - 1;
    }
}
