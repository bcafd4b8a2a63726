namespace CsMetrics.Grains.Calibration;

/// <summary>Calibration settings (bound from "CsMetrics:Calibration").</summary>
public sealed class CalibrationOptions
{
    public const string Section = "CsMetrics:Calibration";

    /// <summary>
    /// At most this many accounts are asked what they showed at the prediction time (the retained
    /// side). Portfolios up to this size are counted exactly; larger ones are sampled.
    /// </summary>
    public int SampleSize { get; set; } = CalibrationGatherer.DefaultSampleSize;
}
