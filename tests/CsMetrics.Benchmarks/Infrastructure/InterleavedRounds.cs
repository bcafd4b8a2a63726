namespace CsMetrics.Benchmarks.Infrastructure;

/// <summary>The A/B ratio over interleaved rounds: median with min and max, plus each side's median rate.</summary>
public sealed record RatioResult(double MedianA, double MedianB, double MedianRatio, double MinRatio, double MaxRatio, int Rounds)
{
    public override string ToString() =>
        $"A {MedianA:N0}/s, B {MedianB:N0}/s, A/B median {MedianRatio:F2} (min {MinRatio:F2}, max {MaxRatio:F2}, {Rounds} rounds)";
}

/// <summary>
/// Runs A B A B … so both variants see the same machine noise (on a shared 2-core box the
/// background load drifts by the minute); each round's ratio pairs an A with the B right after it.
/// </summary>
/// <remarks>
/// Warm-up rounds run the same way first and are printed but not counted: the runtime compiles
/// hot code again, optimized with the profile it gathered, only after seconds of load (tiered
/// compilation with dynamic PGO), so the first rounds after a start measure the JIT's progress,
/// not the steady state a long-running server is in.
/// </remarks>
public static class InterleavedRounds
{
    public static async Task<RatioResult> RunAsync(int rounds, Func<int, Task<double>> a, Func<int, Task<double>> b, string nameA, string nameB, int warmupRounds = 0)
    {
        var ratesA = new List<double>();
        var ratesB = new List<double>();
        for (int round = -warmupRounds; round < rounds; round++)
        {
            // Warm-up rounds get their own (negative) round numbers: the callers' inputs per round stay fresh.
            double rateA = await a(round);
            double rateB = await b(round);
            string label = round < 0 ? $"warm-up {round + warmupRounds + 1}/{warmupRounds}" : $"round {round + 1}/{rounds}";
            Console.WriteLine($"    {label}: {nameA} {rateA,12:N0}/s   {nameB} {rateB,12:N0}/s   ratio {rateA / rateB:F2}");
            if (round < 0)
            {
                continue;
            }
            ratesA.Add(rateA);
            ratesB.Add(rateB);
        }
        var ratios = ratesA.Zip(ratesB, (x, y) => x / y).ToList();
        return new RatioResult(Median(ratesA), Median(ratesB), Median(ratios), ratios.Min(), ratios.Max(), rounds);
    }

    public static double Median(IReadOnlyCollection<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
