using CsMetrics.Scoring.Metrics;
using CsMetrics.Scoring.Signals;
using static CsMetrics.Scoring.Tests.Metrics.MetricsTestSupport;
using static CsMetrics.Scoring.Tests.Support.Sig;

namespace CsMetrics.Scoring.Tests.Metrics;

/// <summary>The publish builds facts and their difference into maps it reuses (the grain's per-thread scratch): a reused map must give exactly what a fresh one does.</summary>
public class MetricFactsReuseTests
{
    [Fact]
    public void Building_and_diffing_into_reused_maps_equals_fresh_maps()
    {
        var big = Account(
            Usage(At(3, 1), "ann", "reports.export"), Usage(At(3, 2), "bob", "api.call"), Usage(At(3, 9), "ann", "api.call"),
            Ticket(At(3, 3), "T-1", TicketStatus.Opened), TicketEvent(At(3, 4), "T-1", TicketStatus.Solved, agentReplies: 1),
            Nps(At(3, 5), 9, "ann"), Revenue(At(2, 1), 500m), Revenue(At(3, 6), 650m));
        var small = Account(Usage(At(4, 1), "cy", "alerts.configure"));

        var reused = new Dictionary<FactKey, decimal>();
        var bigFacts = MetricFacts.Build(big, 10, null);
        Assert.Equal(Sorted(bigFacts), Sorted(MetricFacts.Build(big, 10, null, reused)));
        // Refilled with a smaller account: nothing of the bigger one is left behind.
        var smallFacts = MetricFacts.Build(small, 2, null);
        Assert.Same(reused, MetricFacts.Build(small, 2, null, reused));
        Assert.Equal(Sorted(smallFacts), Sorted(reused));

        var delta = new Dictionary<FactKey, decimal> { [new FactKey(FactKind.Account, 0)] = 99 };
        Assert.Equal(Sorted(MetricFacts.Diff(bigFacts, smallFacts)), Sorted(MetricFacts.Diff(bigFacts, smallFacts, delta)));
        Assert.Empty(MetricFacts.Diff(smallFacts, reused, delta));
    }

    private static List<KeyValuePair<FactKey, decimal>> Sorted(Dictionary<FactKey, decimal> facts) =>
        [.. facts.OrderBy(f => f.Key.ToString(), StringComparer.Ordinal)];
}
