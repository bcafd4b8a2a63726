using CsMetrics.Server.Tests.Support;

namespace CsMetrics.Server.Tests.Insights;

/// <summary>
/// A server of its own for VoC and calibration: both report over every account and comment on the
/// server, and changing the themes changes them for everyone.
/// </summary>
public sealed class InsightsServerFixture : ServerFixture;

[CollectionDefinition(Name)]
public sealed class InsightsServerCollection : ICollectionFixture<InsightsServerFixture>
{
    public const string Name = "insights server";
}
