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

    [Fact]
    public void Decoding_into_a_reused_map_equals_decoding_into_a_fresh_one()
    {
        var big = Account(
            Usage(At(3, 1), "ann", "reports.export"), Ticket(At(3, 3), "T-1", TicketStatus.Opened),
            Nps(At(3, 5), 9, "ann"), Revenue(At(3, 6), 650m));
        var small = Account(Usage(At(4, 1), "cy", "alerts.configure"));
        byte[] bigBytes = MetricFacts.Encode(MetricFacts.Build(big, 10, null));
        byte[] smallBytes = MetricFacts.Encode(MetricFacts.Build(small, 2, null));

        var reused = new Dictionary<FactKey, decimal>();
        Assert.Same(reused, MetricFacts.Decode(bigBytes, reused));
        Assert.Equal(Sorted(MetricFacts.Decode(bigBytes.AsSpan())), Sorted(reused));
        // Refilled with a smaller publish: nothing of the bigger one is left behind.
        MetricFacts.Decode(smallBytes, reused);
        Assert.Equal(Sorted(MetricFacts.Decode(smallBytes.AsSpan())), Sorted(reused));
        Assert.Equal(Sorted(MetricFacts.Build(small, 2, null)), Sorted(reused));
    }

    [Fact]
    public void A_build_into_a_reused_map_allocates_nothing()
    {
        // Every publish builds the account's facts (the engine's hot path): once the reused map
        // is big enough, a build of an account with every kind of history allocates nothing.
        var account = Account(
            Usage(At(3, 1), "ann", "reports.export"), Usage(At(3, 2), "bob", "api.call"), Usage(At(4, 9), "ann", "api.call"),
            Ticket(At(3, 3), "T-1", TicketStatus.Opened), TicketEvent(At(3, 4), "T-1", TicketStatus.Solved, tags: ["billing"], agentReplies: 1),
            Ticket(At(3, 8), "T-1", TicketStatus.Reopened), Nps(At(3, 5), 9, "ann"), Csat(At(3, 6), 5), Ces(At(3, 7), 6),
            Revenue(At(2, 1), 500m), Revenue(At(3, 6), 650m),
            Touchpoint(At(3, 2), TouchpointKind.Call), Touchpoint(At(3, 9), TouchpointKind.Qbr), Touchpoint(At(3, 9), TouchpointKind.Email),
            SelfService(At(3, 4), "ann", "kb-1", SelfServiceAction.Helpful));
        var renewal = DateOnly.FromDateTime(At(9, 1).UtcDateTime);
        var reused = new Dictionary<FactKey, decimal>();
        MetricFacts.Build(account, 10, renewal, reused); // sizes the map (and warms the shared pools)

        long before = GC.GetAllocatedBytesForCurrentThread();
        MetricFacts.Build(account, 10, renewal, reused);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(Sorted(MetricFacts.Build(account, 10, renewal)), Sorted(reused));
        // Days with touchpoints chained once each (two on 9 March make one day): 2 → 9, 9 → none.
        int march2 = DateOnly.FromDateTime(At(3, 2).UtcDateTime).DayNumber, march9 = DateOnly.FromDateTime(At(3, 9).UtcDateTime).DayNumber;
        Assert.Equal(
            [(march2, march9), (march9, int.MaxValue)],
            reused.Keys.Where(k => k.Kind == FactKind.TouchpointDay).Select(k => (k.Day, k.Aux)).Order().ToArray());
        Assert.Contains(reused.Keys, k => k.Kind == FactKind.ArticleHelpful);
        Assert.Contains(reused.Keys, k => k.Kind == FactKind.FeatureUserActive);
    }

    private static List<KeyValuePair<FactKey, decimal>> Sorted(Dictionary<FactKey, decimal> facts) =>
        [.. facts.OrderBy(f => f.Key.ToString(), StringComparer.Ordinal)];
}
