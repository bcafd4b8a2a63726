namespace CsMetrics.Benchmarks.Scenarios;

/// <summary>
/// <c>scorer-days [--days N]</c>: the scorer scenario's accounts after the same setup, then N more
/// days, each printed with the bytes it allocated per signal and the kinds of signal that
/// allocated them (a signal that allocates nothing is not listed). The scenario's own figure is
/// one day counted over the whole process; this says which signals that day's bytes come from.
/// </summary>
public static class ScorerDays
{
    public static void Run(int days)
    {
        var benchmarks = new ScorerBenchmarks();
        benchmarks.Setup();
        long all = 0;
        for (int d = 0; d < days; d++)
        {
            var byKind = new Dictionary<string, (long Bytes, int Signals)>();
            long total = benchmarks.ProbeDay(byKind);
            all += total;
            string kinds = string.Join(", ", byKind.OrderByDescending(k => k.Value.Bytes).Select(k => $"{k.Key} {k.Value.Bytes:N0} B in {k.Value.Signals}"));
            Console.WriteLine($"day {d + 1}: {(double)total / ScorerBenchmarks.SignalsPerDay:F2} B/signal{(kinds.Length > 0 ? " — " + kinds : "")}");
        }
        Console.WriteLine($"{days} days: {(double)all / (days * (long)ScorerBenchmarks.SignalsPerDay):F2} B/signal");
    }
}
