using CsMetrics.Benchmarks.Infrastructure;

namespace CsMetrics.Scoring.Tests.BenchmarkInstruments;

/// <summary>The benchmark's histogram, Zipf generator and interleaved rounds (tests/CsMetrics.Benchmarks): if they lie, every figure does.</summary>
public class BenchmarkInstrumentTests
{
    [Fact]
    public void Histogram_percentiles_are_within_two_percent_of_the_exact_ones()
    {
        var histogram = new LogLinearHistogram();
        var random = new Random(7);
        var values = Enumerable.Range(0, 100_000).Select(_ => Math.Exp(random.NextDouble() * 12)).ToArray(); // 1 µs .. 160 ms
        foreach (double micros in values)
        {
            histogram.RecordMicroseconds((long)micros);
        }
        var sorted = values.Select(v => (double)(long)v).Order().ToArray();
        foreach (double p in new[] { 50.0, 90, 99, 99.9 })
        {
            double exact = sorted[(int)Math.Ceiling(p / 100 * sorted.Length) - 1] / 1000;
            double reported = histogram.PercentileMilliseconds(p);
            Assert.InRange(reported, exact, exact * 1.02 + 0.001);
        }
        Assert.Equal(sorted[^1] / 1000, histogram.MaxMilliseconds);
        Assert.Equal(100_000, histogram.Count);
    }

    [Fact]
    public void Histogram_small_values_are_exact_and_huge_ones_are_kept()
    {
        var histogram = new LogLinearHistogram();
        histogram.RecordMicroseconds(0);
        histogram.RecordMicroseconds(5);
        histogram.RecordMicroseconds(127);
        histogram.RecordMilliseconds(3_600_000);
        Assert.Equal(0.005, histogram.PercentileMilliseconds(50));
        Assert.Equal(0.127, histogram.PercentileMilliseconds(75));
        Assert.Equal(3_600_000, histogram.PercentileMilliseconds(100));
    }

    [Fact]
    public void Zipf_ranks_follow_one_over_rank_and_repeat_with_the_seed()
    {
        var zipf = new ZipfSampler(1000, 1.0);
        var counts = new int[1000];
        var random = new Random(42);
        for (int i = 0; i < 200_000; i++)
        {
            counts[zipf.Next(random)]++;
        }
        // P(rank r) ∝ 1/(r+1): rank 0 twice rank 1, ten times rank 9.
        Assert.InRange(counts[0] / (double)counts[1], 1.8, 2.2);
        Assert.InRange(counts[0] / (double)counts[9], 8.5, 11.5);
        Assert.InRange(counts[0] / 200_000.0, 0.13, 0.14); // 1 / H(1000) ≈ 0.1336
        var again = new Random(42);
        var first = new Random(42);
        Assert.Equal(Enumerable.Range(0, 100).Select(_ => zipf.Next(first)), Enumerable.Range(0, 100).Select(_ => zipf.Next(again)));
    }

    [Fact]
    public async Task Interleaved_rounds_run_warm_ups_first_and_count_only_the_measured_rounds()
    {
        var calls = new List<string>();
        // Warm-up rounds are far slower: counted, they would move every median.
        double Rate(string side, int round) { calls.Add($"{side}{round}"); return round < 0 ? 1 : side == "a" ? 10 * (round + 1) : 5 * (round + 1); }
        var result = await InterleavedRounds.RunAsync(3, r => Task.FromResult(Rate("a", r)), r => Task.FromResult(Rate("b", r)), "a", "b", warmupRounds: 2);

        Assert.Equal(["a-2", "b-2", "a-1", "b-1", "a0", "b0", "a1", "b1", "a2", "b2"], calls);
        Assert.Equal((20.0, 10.0, 2.0, 2.0, 2.0, 3), (result.MedianA, result.MedianB, result.MedianRatio, result.MinRatio, result.MaxRatio, result.Rounds));
    }
}
