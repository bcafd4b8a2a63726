using CsMetrics.Scoring.Aggregates;
using CsMetrics.Scoring.Signals;
using CsMetrics.Scoring.Tests.Support;
using static CsMetrics.Scoring.Tests.Support.Sig;

namespace CsMetrics.Scoring.Tests.Aggregates;

/// <summary>The facts the playbook triggers "detractor NPS answer" and "urgent ticket without first response" read.</summary>
public class AlertFactsTests
{
    [Fact]
    public void Latest_detractor_is_the_newest_answer_among_respondents_whose_latest_answer_is_0_to_6()
    {
        var a = new AccountAggregates().With(Usage(T0));
        Assert.Null(a.LatestDetractorAt);

        a.With(Nps(DaysAgo(5), 3, "ann"), Nps(DaysAgo(4), 9, "bob"), Nps(DaysAgo(2), 6, "cid"));
        Assert.Equal(DaysAgo(2), a.LatestDetractorAt);

        // cid's newer answer is a passive: only ann's detractor answer is left.
        a.With(Nps(DaysAgo(1), 7, "cid"));
        Assert.Equal(DaysAgo(5), a.LatestDetractorAt);

        // An older answer than the one held changes nothing.
        a.With(Nps(DaysAgo(6), 0, "bob"));
        Assert.Equal(DaysAgo(5), a.LatestDetractorAt);

        a.With(Nps(DaysAgo(0.5), 10, "ann"));
        Assert.Null(a.LatestDetractorAt);
    }

    [Fact]
    public void Oldest_unanswered_urgent_ticket_counts_only_open_urgent_tickets_without_a_first_response()
    {
        var a = new AccountAggregates().With(
            Ticket(DaysAgo(3), "normal", TicketStatus.Opened),
            Ticket(DaysAgo(2), "u1", TicketStatus.Opened, TicketPriority.Urgent),
            Ticket(DaysAgo(1), "u2", TicketStatus.Opened, TicketPriority.Urgent));
        Assert.Equal(DaysAgo(2), a.OldestUnansweredUrgentAt);

        a.With(Ticket(DaysAgo(0.5), "u1", TicketStatus.FirstResponse, TicketPriority.Urgent));
        Assert.Equal(DaysAgo(1), a.OldestUnansweredUrgentAt);

        a.With(Ticket(DaysAgo(0.25), "u2", TicketStatus.Solved, TicketPriority.Urgent));
        Assert.Null(a.OldestUnansweredUrgentAt);

        // Escalated to urgent later: its opening time is what counts.
        a.With(Ticket(DaysAgo(0.1), "normal", TicketStatus.Reopened, TicketPriority.Urgent));
        Assert.Equal(DaysAgo(3), a.OldestUnansweredUrgentAt);
    }

    [Fact]
    public void The_facts_survive_a_round_trip_through_bytes()
    {
        var a = new AccountAggregates().With(
            Nps(DaysAgo(2), 4, "ann"),
            Ticket(DaysAgo(1), "u1", TicketStatus.Opened, TicketPriority.Urgent));
        var b = AccountAggregates.FromBytes(a.ToBytes());
        Assert.Equal((DaysAgo(2), DaysAgo(1)), (b.LatestDetractorAt, b.OldestUnansweredUrgentAt));
    }
}
