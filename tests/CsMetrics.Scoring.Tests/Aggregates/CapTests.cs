using CsMetrics.Scoring.Aggregates;
using CsMetrics.Scoring.Scorecards;
using CsMetrics.Scoring.Signals;
using CsMetrics.Scoring.Tests.Support;
using static CsMetrics.Scoring.Tests.Support.Sig;

namespace CsMetrics.Scoring.Tests.Aggregates;

/// <summary>Per-account caps from <see cref="SignalLimits"/>: state stays bounded, metrics stay consistent.</summary>
public class CapTests
{
    [Fact]
    public void Users_beyond_the_cap_are_not_tracked_but_their_usage_still_counts()
    {
        var a = new AccountAggregates();
        int extra = 5;
        for (int i = 0; i < SignalLimits.MaxUsersPerAccount + extra; i++)
        {
            a.With(Usage(DaysAgo(10), $"user-{i}"));
        }
        Assert.Equal(SignalLimits.MaxUsersPerAccount, a.TrackedUsers);
        a.AssertValue(Metric.ActiveUsersPerSeat, 1.0, windowDays: 30, seats: SignalLimits.MaxUsersPerAccount);

        // every event counts as usage, tracked user or not: 10,005 in the prior 28 days
        a.With(Usage(DaysAgo(1), "user-over-the-cap", count: (SignalLimits.MaxUsersPerAccount + extra) / 4));
        a.AssertValue(Metric.UsageTrend, ((SignalLimits.MaxUsersPerAccount + extra) / 4) / ((SignalLimits.MaxUsersPerAccount + extra) / 4.0));
        Assert.Equal(SignalLimits.MaxUsersPerAccount, a.TrackedUsers);

        // a tracked user moving forward still moves in the histogram
        a.With(Usage(DaysAgo(1), "user-0"));
        a.AssertValue(Metric.ActiveUsersPerSeat, 1.0 / SignalLimits.MaxUsersPerAccount, windowDays: 7, seats: SignalLimits.MaxUsersPerAccount);
        a.AssertValue(Metric.DaysSinceLastUsage, 1);
    }

    [Fact]
    public void Features_beyond_the_cap_are_not_tracked()
    {
        var a = new AccountAggregates();
        for (int i = 0; i < SignalLimits.MaxFeaturesPerAccount + 3; i++)
        {
            a.With(Usage(DaysAgo(1), feature: $"f{i}"));
        }
        Assert.Equal(SignalLimits.MaxFeaturesPerAccount, a.TrackedFeatures);
        a.AssertValue(Metric.KeyFeaturesUsed, SignalLimits.MaxFeaturesPerAccount, windowDays: 30, keyFeatures: []);
        a.AssertValue(Metric.KeyFeaturesUsed, 0, windowDays: 30, keyFeatures: [$"f{SignalLimits.MaxFeaturesPerAccount}"]);
    }

    [Fact]
    public void At_the_ticket_cap_with_every_ticket_open_the_oldest_is_forgotten_and_its_weight_removed()
    {
        var a = new AccountAggregates();
        a.With(Ticket(DaysAgo(50), "oldest", TicketStatus.Opened, TicketPriority.Urgent));
        for (int i = 1; i < SignalLimits.MaxTicketsPerAccount; i++)
        {
            a.With(Ticket(DaysAgo(10), $"T-{i}", TicketStatus.Opened));
        }
        Assert.Equal(SignalLimits.MaxTicketsPerAccount, a.TicketCount());
        a.AssertValue(Metric.OpenTicketsWeighted, SignalLimits.MaxTicketsPerAccount - 1 + 4);
        a.AssertValue(Metric.UrgentTicketsOpen, 1);

        a.With(Ticket(DaysAgo(1), "one-more", TicketStatus.Opened, TicketPriority.High));
        Assert.Equal(SignalLimits.MaxTicketsPerAccount, a.TicketCount());
        Assert.False(a.Tickets.ContainsKey("oldest"));
        a.AssertValue(Metric.OpenTicketsWeighted, SignalLimits.MaxTicketsPerAccount - 1 + 2);
        a.AssertValue(Metric.UrgentTicketsOpen, 0);
    }

    [Fact]
    public void At_the_ticket_cap_closed_tickets_are_dropped_first()
    {
        var a = new AccountAggregates();
        a.With(Ticket(DaysAgo(60), "open-old", TicketStatus.Opened, TicketPriority.Urgent));
        for (int i = 1; i < SignalLimits.MaxTicketsPerAccount; i++)
        {
            a.With(Ticket(DaysAgo(5), $"T-{i}", TicketStatus.Closed));
        }
        Assert.Equal(SignalLimits.MaxTicketsPerAccount, a.TicketCount());

        a.With(Ticket(DaysAgo(1), "new", TicketStatus.Opened));
        Assert.True(a.Tickets.ContainsKey("open-old"));
        Assert.True(a.TicketCount() <= SignalLimits.MaxTicketsPerAccount);
        a.AssertValue(Metric.OpenTicketsWeighted, 5);
        a.AssertValue(Metric.UrgentTicketsOpen, 1);
    }

    [Fact]
    public void At_the_respondent_cap_the_least_recent_answer_is_dropped_with_its_vote()
    {
        var a = new AccountAggregates();
        a.With(Nps(DaysAgo(300), 0, "oldest"));
        for (int i = 1; i < SignalLimits.MaxRespondentsPerAccount; i++)
        {
            a.With(Nps(DaysAgo(10), 10, $"r{i}"));
        }
        Assert.Equal(SignalLimits.MaxRespondentsPerAccount, a.NpsByRespondent.Count);
        Assert.Equal(1, a.NpsDetractors);

        a.With(Nps(DaysAgo(1), 10, "newest"));
        Assert.Equal(SignalLimits.MaxRespondentsPerAccount, a.NpsByRespondent.Count);
        Assert.False(a.NpsByRespondent.ContainsKey("oldest"));
        a.AssertValue(Metric.Nps, 100);

        // a known respondent answering again does not evict anyone
        a.With(Nps(T0, 8, "r1"));
        Assert.Equal(SignalLimits.MaxRespondentsPerAccount, a.NpsByRespondent.Count);
        Assert.Equal(SignalLimits.MaxRespondentsPerAccount, a.NpsPromoters + a.NpsPassives + a.NpsDetractors);
        Assert.Equal(1, a.NpsPassives);
    }

    [Fact]
    public void The_mrr_timeline_keeps_the_newest_points()
    {
        var a = new AccountAggregates();
        for (int i = 0; i < SignalLimits.MaxRevenuePoints + 10; i++)
        {
            a.With(Revenue(DaysAgo(SignalLimits.MaxRevenuePoints + 10 - i).AddHours(-1), 100 + i));
        }
        Assert.Equal(SignalLimits.MaxRevenuePoints, a.Mrr.Count);
        Assert.Equal(110m, a.Mrr[0].Mrr); // the ten oldest points were dropped
        Assert.Equal(100m + SignalLimits.MaxRevenuePoints + 9, a.CurrentMrr(T0));
    }

    [Fact]
    public void First_response_samples_keep_the_most_recent_256()
    {
        var a = new AccountAggregates();
        // 100 slow answers first, then 256 fast ones: only the fast ones are left
        for (int i = 0; i < 100; i++)
        {
            a.With(Ticket(DaysAgo(20), $"slow-{i}", TicketStatus.Opened),
                   Ticket(DaysAgo(20).AddHours(30), $"slow-{i}", TicketStatus.FirstResponse));
        }
        for (int i = 0; i < FirstResponseSamples.Capacity; i++)
        {
            a.With(Ticket(DaysAgo(20), $"fast-{i}", TicketStatus.Opened),
                   Ticket(DaysAgo(20).AddHours(1), $"fast-{i}", TicketStatus.FirstResponse));
        }
        Assert.Equal(FirstResponseSamples.Capacity, a.FirstResponses.Count);
        a.AssertValue(Metric.FirstResponseMedianHours, 1);
    }
}
