using CsMetrics.Scoring.Signals;
using CsMetrics.Scoring.Tests.Support;
using static CsMetrics.Scoring.Tests.Metrics.MetricsTestSupport;

namespace CsMetrics.Scoring.Tests.Metrics;

public class SupportAndEngagementMetricsTests
{
    private static readonly Signal[] Tickets =
    [
        Sig.TicketEvent(At(3, 2, 10), "T1", TicketStatus.Opened, ["billing", "bug"]),
        Sig.TicketEvent(At(3, 2, 10, 30), "T1", TicketStatus.FirstResponse),          // 30 min
        Sig.TicketEvent(At(3, 3), "T1", TicketStatus.Solved, agentReplies: 1),        // first contact
        Sig.TicketEvent(At(3, 4, 9), "T2", TicketStatus.Opened, ["billing"]),
        Sig.TicketEvent(At(3, 4, 11), "T2", TicketStatus.FirstResponse),              // 120 min
        Sig.TicketEvent(At(3, 6), "T2", TicketStatus.Solved, agentReplies: 3),        // not first contact
        Sig.TicketEvent(At(3, 5, 8), "T3", TicketStatus.Opened),
        Sig.TicketEvent(At(3, 5, 8, 10), "T3", TicketStatus.FirstResponse),           // 10 min
        Sig.TicketEvent(At(3, 7), "T3", TicketStatus.Reopened),
    ];

    [Fact]
    public void Tickets_first_response_fcr_reopen_and_tags()
    {
        foreach (var a in new[] { Account(Tickets), Account(Scrambled(Tickets)) })
        {
            var r = a.Report((3, 1), (3, 31)).Support;
            Assert.Equal((3L, 2L), (r.TicketsOpened, r.TicketsSolved));
            // first responses sorted: 10, 30, 120 → median 30; p90 = rank ⌈0.9 × 3⌉ = 3 → 120
            Assert.Equal(30.0, r.FirstResponseMedianMinutes);
            Assert.Equal(120.0, r.FirstResponseP90Minutes);
            Assert.Equal(3, r.FirstResponses);
            // FCR: T1 (1 reply) of T1, T2 solved → 1 / 2; reopen: 1 reopened / 2 solved
            Assert.Equal(0.5, r.FcrRate);
            Assert.Equal(0.5, r.ReopenRate);
            // tags of the 3 opened tickets: billing 2 (2/3), bug 1 (1/3)
            Assert.Equal(["billing", "bug"], r.TopTags.Select(t => t.Tag));
            Assert.Equal(2, r.TopTags[0].Count);
            Assert.Equal(2.0 / 3, r.TopTags[0].Share!.Value, 12);
            Assert.Equal(1.0 / 3, r.TopTags[1].Share!.Value, 12);
        }
    }

    [Fact]
    public void No_solved_ticket_leaves_fcr_and_reopen_undefined()
    {
        var r = Account(Sig.TicketEvent(At(3, 2), "T1", TicketStatus.Opened)).Report((3, 1), (3, 31)).Support;
        Assert.Null(r.FcrRate);
        Assert.Null(r.ReopenRate);
        Assert.Null(r.FirstResponseMedianMinutes);
        // no active user: tickets per active user is undefined
        Assert.Null(r.TicketsPerActiveUser);
    }

    [Fact]
    public void Dau_wau_mau_stickiness_adoption_breadth_and_time_to_value()
    {
        var signals = new[]
        {
            Sig.Usage(At(2, 20), "u3"),                // the account's first signal
            Sig.Usage(At(3, 1), "u1"),
            Sig.Usage(At(3, 2), "u1", "reports"),      // first feature use: 20 Feb → 2 Mar = 10 days
            Sig.Usage(At(3, 3), "u1"),
            Sig.Usage(At(3, 3), "u2", "reports"),
            Sig.Usage(At(3, 3), "u2", "export"),
        };
        foreach (var a in new[] { Account(signals), Account(Scrambled(signals)) })
        {
            var r = a.Report((3, 1), (3, 3), seats: 4).Engagement;
            // user-days: u1 × 3 + u2 × 1 = 4 over 3 days → DAU 4/3
            Assert.Equal(4.0 / 3, r.Dau, 12);
            Assert.Equal(2, r.ActiveUsers);
            // WAU (25 Feb – 3 Mar): u1, u2; MAU (2 Feb – 3 Mar): u1, u2, u3
            Assert.Equal((2L, 3L), (r.Wau, r.Mau));
            // stickiness = DAU / MAU = (4/3) / 3 = 0.444…
            Assert.Equal(4.0 / 9, r.Stickiness!.Value, 12);
            // 2 active users / 4 seats
            Assert.Equal(0.5, r.ActiveUsersPerSeat);
            // reports: u1, u2 → 2/2; export: u2 → 1/2
            Assert.Equal(["reports", "export"], r.FeatureAdoption.Select(f => f.Feature));
            Assert.Equal([1.0, 0.5], r.FeatureAdoption.Select(f => f.Rate!.Value));
            Assert.Equal(2.0, r.Breadth);
            Assert.Equal(10.0, r.TimeToValueMedianDays);
            // 5 events in the period (20 February is before it)
            Assert.Equal(5, r.UsageEvents);
        }
    }

    [Fact]
    public void Touchpoints_per_account_per_month_and_days_since_the_last()
    {
        var a = Account(Sig.Touchpoint(At(3, 2), TouchpointKind.Meeting), Sig.Touchpoint(At(3, 10), TouchpointKind.Call), Sig.Touchpoint(At(3, 10), TouchpointKind.Email));
        var march = a.Report((3, 1), (3, 31)).Touchpoints;
        // 3 touchpoints / 1 account / (31 / 30.4375 months) = 2.9455…
        Assert.Equal(3, march.Touchpoints);
        Assert.Equal(3 / (31 / 30.4375), march.TouchpointsPerAccountPerMonth!.Value, 12);
        // last touchpoint 10 March, period ends 31 March → 21 days
        Assert.Equal(21.0, march.DaysSinceLastTouchpoint);
        // 1–5 March: only the meeting of 2 March → 3 days
        var early = a.Report((3, 1), (3, 5)).Touchpoints;
        Assert.Equal(1, early.Touchpoints);
        Assert.Equal(3.0, early.DaysSinceLastTouchpoint);
        Assert.Equal(["call", "email", "meeting"], march.ByKind.Select(k => k.Kind));
    }

    [Fact]
    public void Self_service_helpfulness_and_ratio()
    {
        var r = Account(
            Sig.SelfService(At(3, 2), "u1", "kb-1", SelfServiceAction.View),
            Sig.SelfService(At(3, 2), "u1", "kb-1", SelfServiceAction.Helpful),
            Sig.SelfService(At(3, 3), "u2", "kb-2", SelfServiceAction.View),
            Sig.SelfService(At(3, 3), "u2", "kb-2", SelfServiceAction.NotHelpful),
            Sig.SelfService(At(3, 4), "u2", "kb-1", SelfServiceAction.Helpful),
            Sig.TicketEvent(At(3, 5), "T1", TicketStatus.Opened))
            .Report((3, 1), (3, 31)).SelfService;
        // overall helpful 2 / rated 3
        Assert.Equal((2L, 2L, 1L), (r.ArticleViews, r.Helpful, r.NotHelpful));
        Assert.Equal(2.0 / 3, r.HelpfulnessRate!.Value, 12);
        // kb-1: 2 / 2 = 1; kb-2: 0 / 1 = 0
        Assert.Equal(1.0, r.Articles.Single(x => x.ArticleId == "kb-1").HelpfulnessRate);
        Assert.Equal(0.0, r.Articles.Single(x => x.ArticleId == "kb-2").HelpfulnessRate);
        // 2 self-service users / 1 ticket opened = 2
        Assert.Equal(2, r.SelfServiceUsers);
        Assert.Equal(2.0, r.SelfServiceRatio);
    }

    [Fact]
    public void History_survives_the_binary_round_trip()
    {
        var a = Account([.. Tickets, Sig.Usage(At(3, 1), "u1", "reports"), Sig.Nps(At(3, 2), 9, "r"), Sig.Revenue(At(1, 1), 100),
            Sig.Touchpoint(At(3, 2), TouchpointKind.Qbr), Sig.SelfService(At(3, 2), "u1", "kb", SelfServiceAction.Helpful), Sig.Csat(At(3, 3), 5)]);
        var copy = Scoring.Aggregates.AccountAggregates.FromBytes(a.ToBytes());
        string Json(Scoring.Aggregates.AccountAggregates x) => System.Text.Json.JsonSerializer.Serialize(x.Report((3, 1), (3, 31), seats: 3));
        Assert.Equal(Json(a), Json(copy));
        Assert.Equal(1, copy.SignalCount(SignalType.Touchpoint));
    }
}

public class RelationshipMeasureTests
{
    [Fact]
    public void Days_since_last_touchpoint_and_touchpoints_per_month_feed_the_scorecard()
    {
        var a = new Scoring.Aggregates.AccountAggregates();
        a.AssertNoValue(Scoring.Scorecards.Metric.DaysSinceLastTouchpoint);
        a.AssertNoValue(Scoring.Scorecards.Metric.TouchpointsPerMonth);
        // arrives newest first: the latest is 4 days ago whatever the order
        a.With(Sig.Touchpoint(Sig.DaysAgo(4), TouchpointKind.Call), Sig.Touchpoint(Sig.DaysAgo(20), TouchpointKind.Meeting), Sig.Touchpoint(Sig.DaysAgo(200), TouchpointKind.Qbr));
        a.AssertValue(Scoring.Scorecards.Metric.DaysSinceLastTouchpoint, 4);
        // 2 touchpoints in the last 30 days × 30.4375 / 30
        a.AssertValue(Scoring.Scorecards.Metric.TouchpointsPerMonth, 2 * 30.4375 / 30, windowDays: 30);
    }
}

public class RelationshipComponentTests
{
    /// <summary>The default scorecard plus a "relationship" component built from the two touchpoint measures.</summary>
    private static Scoring.Scorecards.Scorecard WithRelationship()
    {
        // The default file carries comments (the parser allows them).
        var root = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(RepoPaths.DefaultScorecard), documentOptions: new System.Text.Json.JsonDocumentOptions
        {
            CommentHandling = System.Text.Json.JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        })!.AsObject();
        root["components"]!.AsArray().Add(System.Text.Json.Nodes.JsonNode.Parse("""
            { "name": "relationship", "weight": 10, "measures": [
              { "metric": "days_since_last_touchpoint", "weight": 1, "steps": [ { "upTo": 14, "score": 100 }, { "upTo": 30, "score": 50 } ], "otherwise": 0 },
              { "metric": "touchpoints_per_month", "windowDays": 30, "weight": 1, "linear": { "worst": 0, "best": 2 } } ] }
            """));
        return Scoring.Scorecards.ScorecardParser.Parse(root.ToJsonString());
    }

    [Fact]
    public void A_scorecard_can_weigh_the_relationship()
    {
        var relationship = WithRelationship().Components.Single(c => c.Name == "relationship");
        var close = new Scoring.Aggregates.AccountAggregates().With(Sig.Touchpoint(Sig.DaysAgo(4), TouchpointKind.Call), Sig.Touchpoint(Sig.DaysAgo(20), TouchpointKind.Qbr));
        var distant = new Scoring.Aggregates.AccountAggregates().With(Sig.Touchpoint(Sig.DaysAgo(20), TouchpointKind.Qbr));

        // 4 days → 100; 2 × 30.4375 / 30 = 2.03 a month → clamped to 100; mean 100
        Assert.True(Scoring.Health.HealthScorer.TryScoreComponent(relationship, [], close, 0, Sig.T0, out double closeScore));
        Assert.Equal(100, closeScore);
        // 20 days → 50; 30.4375 / 30 = 1.0146 a month → 1.0146 / 2 × 100 = 50.73; mean 50.36 → 50.4
        Assert.True(Scoring.Health.HealthScorer.TryScoreComponent(relationship, [], distant, 0, Sig.T0, out double distantScore));
        Assert.Equal(50.4, distantScore);
        // no touchpoint ever: the component is left out (no value), not scored 0
        Assert.False(Scoring.Health.HealthScorer.TryScoreComponent(relationship, [], new Scoring.Aggregates.AccountAggregates().With(Sig.Usage(Sig.T0)), 0, Sig.T0, out _));
    }
}
