namespace CsMetrics.Scoring.Scorecards;

/// <summary>
/// A versioned, weighted scorecard: components made of measures, each measure mapping one raw
/// metric over a window to 0–100. Immutable once built; <see cref="ScorecardParser"/> builds and
/// validates it from the JSON file in <c>config/scorecard.default.json</c>.
/// </summary>
public sealed class Scorecard
{
    public required int Version { get; init; }
    public required string Name { get; init; }
    public required BandCutoffs Bands { get; init; }
    public required IReadOnlyList<ComponentDefinition> Components { get; init; }
    /// <summary>Features that count for adoption. Empty means every feature counts.</summary>
    public IReadOnlyList<string> KeyFeatures { get; init; } = [];

    public Scorecard WithVersion(int version) => new()
    {
        Version = version,
        Name = Name,
        Bands = Bands,
        Components = Components,
        KeyFeatures = KeyFeatures,
    };
}

/// <summary>Red below <see cref="Red"/>, yellow below <see cref="Yellow"/>, green from there.</summary>
public sealed record BandCutoffs(double Red, double Yellow)
{
    public HealthBand BandOf(double score) =>
        score < Red ? HealthBand.Red : score < Yellow ? HealthBand.Yellow : HealthBand.Green;
}

public enum HealthBand : byte { Red = 0, Yellow = 1, Green = 2 }

public static class HealthBandNames
{
    public static string Of(HealthBand b) => b switch
    {
        HealthBand.Red => "red",
        HealthBand.Yellow => "yellow",
        _ => "green",
    };

    public static bool TryParse(string? s, out HealthBand band)
    {
        switch (s)
        {
            case "red": band = HealthBand.Red; return true;
            case "yellow": band = HealthBand.Yellow; return true;
            case "green": band = HealthBand.Green; return true;
            default: band = default; return false;
        }
    }
}

public sealed class ComponentDefinition
{
    public required string Name { get; init; }
    public required double Weight { get; init; }
    public required IReadOnlyList<MeasureDefinition> Measures { get; init; }
    public string? Description { get; init; }
}

public sealed class MeasureDefinition
{
    public required Metric Metric { get; init; }
    public required double Weight { get; init; }
    /// <summary>The window in days for windowed metrics (ignored by point-in-time ones).</summary>
    public required int WindowDays { get; init; }
    public required MeasureMapping Mapping { get; init; }
    public string? Description { get; init; }
}

/// <summary>
/// How a raw value becomes 0–100: either a linear range from <c>worst</c> (0) to <c>best</c>
/// (100), clamped, where best may be below worst for lower-is-better metrics; or ordered steps
/// "value ≤ upTo scores s", first match wins, <c>otherwise</c> for anything above the last step.
/// </summary>
public sealed class MeasureMapping
{
    public double? Worst { get; init; }
    public double? Best { get; init; }
    public IReadOnlyList<ThresholdStep>? Steps { get; init; }
    public double Otherwise { get; init; }

    public bool IsLinear => Steps is null;

    public double Map(double value)
    {
        if (Steps is { } steps)
        {
            for (int i = 0; i < steps.Count; i++)
            {
                if (value <= steps[i].UpTo)
                {
                    return steps[i].Score;
                }
            }
            return Otherwise;
        }

        double worst = Worst!.Value, best = Best!.Value;
        double t = (value - worst) / (best - worst);
        return Math.Clamp(t, 0, 1) * 100.0;
    }
}

public readonly record struct ThresholdStep(double UpTo, double Score);
