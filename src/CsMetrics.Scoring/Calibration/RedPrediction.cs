namespace CsMetrics.Scoring.Calibration;

/// <summary>
/// "Red" read as a churn prediction, tallied over accounts whose band at the prediction time is
/// known. Counts are doubles because retained accounts may be a sample, each standing for
/// several (see docs/calibration.md); churned accounts are always counted one by one.
/// </summary>
public readonly record struct RedPrediction(double TruePositives, double FalsePositives, double FalseNegatives, double TrueNegatives)
{
    /// <summary>Of the accounts that were red, the share that churned; null when none was red.</summary>
    public double? Precision => TruePositives + FalsePositives > 0 ? TruePositives / (TruePositives + FalsePositives) : null;

    /// <summary>Of the accounts that churned, the share that had been red; null when none churned.</summary>
    public double? Recall => TruePositives + FalseNegatives > 0 ? TruePositives / (TruePositives + FalseNegatives) : null;

    public RedPrediction Add(bool churned, bool red, double weight = 1) => (churned, red) switch
    {
        (true, true) => this with { TruePositives = TruePositives + weight },
        (false, true) => this with { FalsePositives = FalsePositives + weight },
        (true, false) => this with { FalseNegatives = FalseNegatives + weight },
        _ => this with { TrueNegatives = TrueNegatives + weight },
    };
}
