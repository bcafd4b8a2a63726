using CsMetrics.Contracts.Signals;

namespace CsMetrics.Grains.Tests.Support;

/// <summary>What an apply did, without the activation id (random per grain activation).</summary>
public static class ApplyCounts
{
    public static (int Accepted, int Duplicates) Of(ApplyResult result) => (result.Accepted, result.Duplicates);
}
