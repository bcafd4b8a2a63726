using CsMetrics.Scoring.Aggregates;
using CsMetrics.Scoring.Scorecards;
using CsMetrics.Scoring.Signals;
using CsMetrics.Scoring.Tests.Support;
using static CsMetrics.Scoring.Tests.Support.Sig;

namespace CsMetrics.Scoring.Tests.Aggregates;

public class TicketMetricTests
{
    [Theory]
    [InlineData(Metric.OpenTicketsWeighted)]
    [InlineData(Metric.UrgentTicketsOpen)]
    [InlineData(Metric.FirstResponseMedianHours)]
    [InlineData(Metric.ReopenRate)]
    public void Ticket_metrics_have_no_value_without_tickets(Metric metric)
    {
        var a = new AccountAggregates().With(Usage(T0), Csat(T0, 5), Revenue(T0, 10));
        a.AssertNoValue(metric);
    }

    [Theory]
    [InlineData(TicketPriority.Low, 0.5)]
    [InlineData(TicketPriority.Normal, 1)]
    [InlineData(TicketPriority.High, 2)]
    [InlineData(TicketPriority.Urgent, 4)]
    public void Priority_weights(TicketPriority priority, double weight)
    {
        Assert.Equal(weight, AccountAggregates.PriorityWeight(priority));
        var a = new AccountAggregates().With(Ticket(T0, "T-1", TicketStatus.Opened, priority));
        a.AssertValue(Metric.OpenTicketsWeighted, weight);
        a.AssertValue(Metric.UrgentTicketsOpen, priority == TicketPriority.Urgent ? 1 : 0);
    }

    [Fact]
    public void Open_weighted_and_urgent_counts_go_back_down_when_tickets_are_solved()
    {
        var a = new AccountAggregates().With(
            Ticket(DaysAgo(3), "low", TicketStatus.Opened, TicketPriority.Low),
            Ticket(DaysAgo(3), "normal", TicketStatus.Opened, TicketPriority.Normal),
            Ticket(DaysAgo(3), "high", TicketStatus.Opened, TicketPriority.High),
            Ticket(DaysAgo(3), "urgent1", TicketStatus.Opened, TicketPriority.Urgent),
            Ticket(DaysAgo(3), "urgent2", TicketStatus.Opened, TicketPriority.Urgent));
        a.AssertValue(Metric.OpenTicketsWeighted, 11.5);
        a.AssertValue(Metric.UrgentTicketsOpen, 2);

        a.With(Ticket(DaysAgo(1), "urgent1", TicketStatus.Solved, TicketPriority.Urgent));
        a.AssertValue(Metric.OpenTicketsWeighted, 7.5);
        a.AssertValue(Metric.UrgentTicketsOpen, 1);

        a.With(Ticket(DaysAgo(1), "urgent2", TicketStatus.Closed, TicketPriority.Urgent),
               Ticket(DaysAgo(1), "high", TicketStatus.Solved, TicketPriority.High),
               Ticket(DaysAgo(1), "normal", TicketStatus.Solved),
               Ticket(DaysAgo(1), "low", TicketStatus.Solved, TicketPriority.Low));
        // nothing open: a value of 0 (the best), not "no value"
        a.AssertValue(Metric.OpenTicketsWeighted, 0);
        a.AssertValue(Metric.UrgentTicketsOpen, 0);
    }

    [Theory]
    [InlineData(TicketStatus.Opened, true)]
    [InlineData(TicketStatus.FirstResponse, true)]
    [InlineData(TicketStatus.Reopened, true)]
    [InlineData(TicketStatus.Solved, false)]
    [InlineData(TicketStatus.Closed, false)]
    public void Which_statuses_count_as_open(TicketStatus status, bool open)
    {
        var a = new AccountAggregates().With(
            Ticket(DaysAgo(2), "T-1", TicketStatus.Opened, TicketPriority.High),
            Ticket(DaysAgo(1), "T-1", status, TicketPriority.High));
        a.AssertValue(Metric.OpenTicketsWeighted, open ? 2 : 0);
    }

    [Fact]
    public void A_reopened_ticket_counts_as_open_again()
    {
        var a = new AccountAggregates().With(
            Ticket(DaysAgo(5), "T-1", TicketStatus.Opened, TicketPriority.Urgent),
            Ticket(DaysAgo(4), "T-1", TicketStatus.Solved, TicketPriority.Urgent));
        a.AssertValue(Metric.UrgentTicketsOpen, 0);
        a.With(Ticket(DaysAgo(2), "T-1", TicketStatus.Reopened, TicketPriority.Urgent));
        a.AssertValue(Metric.UrgentTicketsOpen, 1);
        a.AssertValue(Metric.OpenTicketsWeighted, 4);
    }

    [Fact]
    public void A_priority_change_replaces_the_old_weight()
    {
        var a = new AccountAggregates().With(
            Ticket(DaysAgo(2), "T-1", TicketStatus.Opened, TicketPriority.Normal),
            Ticket(DaysAgo(1), "T-1", TicketStatus.FirstResponse, TicketPriority.Urgent));
        a.AssertValue(Metric.OpenTicketsWeighted, 4);
        a.AssertValue(Metric.UrgentTicketsOpen, 1);

        a.With(Ticket(DaysAgo(0.5), "T-1", TicketStatus.FirstResponse, TicketPriority.Low));
        a.AssertValue(Metric.OpenTicketsWeighted, 0.5);
        a.AssertValue(Metric.UrgentTicketsOpen, 0);
    }

    [Fact]
    public void An_older_ticket_event_does_not_override_a_newer_status()
    {
        var a = new AccountAggregates().With(
            Ticket(DaysAgo(5), "T-1", TicketStatus.Opened, TicketPriority.Urgent),
            Ticket(DaysAgo(1), "T-1", TicketStatus.Solved, TicketPriority.Urgent));
        // the first response (4 days ago) arrives late: the ticket stays solved
        a.With(Ticket(DaysAgo(4), "T-1", TicketStatus.FirstResponse, TicketPriority.Urgent));
        a.AssertValue(Metric.OpenTicketsWeighted, 0);
        a.AssertValue(Metric.UrgentTicketsOpen, 0);
        // ...but its first response time is still measured
        a.AssertValue(Metric.FirstResponseMedianHours, 24);
    }

    [Fact]
    public void An_older_event_does_not_change_the_priority()
    {
        var a = new AccountAggregates().With(
            Ticket(DaysAgo(1), "T-1", TicketStatus.FirstResponse, TicketPriority.High),
            Ticket(DaysAgo(2), "T-1", TicketStatus.Opened, TicketPriority.Normal));
        a.AssertValue(Metric.OpenTicketsWeighted, 2);
    }

    [Fact]
    public void Solved_arriving_before_opened_leaves_the_ticket_closed()
    {
        var a = new AccountAggregates().With(
            Ticket(DaysAgo(1), "T-1", TicketStatus.Solved),
            Ticket(DaysAgo(3), "T-1", TicketStatus.Opened));
        a.AssertValue(Metric.OpenTicketsWeighted, 0);
        a.AssertValue(Metric.ReopenRate, 0);
    }

    // ---- first_response_median_hours -----------------------------------------------------

    private static void AnsweredTicket(AccountAggregates a, string id, DateTimeOffset opened, double hoursToFirstResponse) =>
        a.With(Ticket(opened, id, TicketStatus.Opened),
               Ticket(opened.AddHours(hoursToFirstResponse), id, TicketStatus.FirstResponse));

    [Fact]
    public void First_response_median_of_an_odd_count_is_the_middle_value()
    {
        var a = new AccountAggregates();
        AnsweredTicket(a, "A", DaysAgo(10), 10);
        AnsweredTicket(a, "B", DaysAgo(9), 1);
        AnsweredTicket(a, "C", DaysAgo(8), 3);
        a.AssertValue(Metric.FirstResponseMedianHours, 3, windowDays: 90);
    }

    [Fact]
    public void First_response_median_of_an_even_count_is_the_mean_of_the_middle_two()
    {
        var a = new AccountAggregates();
        AnsweredTicket(a, "A", DaysAgo(10), 10);
        AnsweredTicket(a, "B", DaysAgo(9), 1);
        AnsweredTicket(a, "C", DaysAgo(8), 3);
        AnsweredTicket(a, "D", DaysAgo(7), 5);
        a.AssertValue(Metric.FirstResponseMedianHours, 4, windowDays: 90);
    }

    [Fact]
    public void First_response_median_only_uses_responses_within_the_window()
    {
        var a = new AccountAggregates();
        AnsweredTicket(a, "old", DaysAgo(100), 40);
        a.AssertNoValue(Metric.FirstResponseMedianHours, windowDays: 90);
        a.AssertValue(Metric.FirstResponseMedianHours, 40, windowDays: 110);

        AnsweredTicket(a, "new", DaysAgo(5), 2);
        a.AssertValue(Metric.FirstResponseMedianHours, 2, windowDays: 90);
        a.AssertValue(Metric.FirstResponseMedianHours, 21, windowDays: 110);
        // the window is by the day of the response, and moves with now
        a.AssertNoValue(Metric.FirstResponseMedianHours, now: T0.AddDays(90), windowDays: 90);
    }

    [Fact]
    public void First_response_is_measured_even_when_it_arrives_before_the_opened_event()
    {
        var a = new AccountAggregates().With(
            Ticket(DaysAgo(2).AddHours(6), "T-1", TicketStatus.FirstResponse),
            Ticket(DaysAgo(2), "T-1", TicketStatus.Opened));
        a.AssertValue(Metric.FirstResponseMedianHours, 6);
        // the ticket's status is the newest event: first_response (open)
        a.AssertValue(Metric.OpenTicketsWeighted, 1);
    }

    [Fact]
    public void Only_the_first_response_of_a_ticket_is_sampled()
    {
        var a = new AccountAggregates();
        AnsweredTicket(a, "T-1", DaysAgo(3), 2);
        a.With(Ticket(DaysAgo(1), "T-1", TicketStatus.FirstResponse)); // a later reply
        a.AssertValue(Metric.FirstResponseMedianHours, 2);
        Assert.Equal(1, a.FirstResponses.Count);
    }

    [Fact]
    public void A_response_without_an_opened_event_is_not_sampled()
    {
        var a = new AccountAggregates().With(Ticket(DaysAgo(1), "T-1", TicketStatus.FirstResponse));
        a.AssertNoValue(Metric.FirstResponseMedianHours);
        a.AssertValue(Metric.OpenTicketsWeighted, 1); // it is open, though
    }

    // ---- reopen_rate ---------------------------------------------------------------------

    [Fact]
    public void Reopen_rate_is_reopened_over_solved_in_the_window()
    {
        var a = new AccountAggregates();
        for (int i = 0; i < 4; i++)
        {
            a.With(Ticket(DaysAgo(20), $"T-{i}", TicketStatus.Opened),
                   Ticket(DaysAgo(10), $"T-{i}", TicketStatus.Solved));
        }
        a.With(Ticket(DaysAgo(5), "T-0", TicketStatus.Reopened));
        a.AssertValue(Metric.ReopenRate, 0.25, windowDays: 90);
        a.AssertValue(Metric.ReopenRate, 1.0, windowDays: 7); // solved outside the 7-day window, reopened inside
        a.AssertNoValue(Metric.ReopenRate, now: T0.AddDays(100), windowDays: 90);
    }

    [Fact]
    public void Reopen_rate_is_capped_at_one()
    {
        var a = new AccountAggregates().With(
            Ticket(DaysAgo(9), "T-1", TicketStatus.Opened),
            Ticket(DaysAgo(8), "T-1", TicketStatus.Solved),
            Ticket(DaysAgo(7), "T-1", TicketStatus.Reopened),
            Ticket(DaysAgo(6), "T-2", TicketStatus.Reopened),
            Ticket(DaysAgo(5), "T-3", TicketStatus.Reopened));
        a.AssertValue(Metric.ReopenRate, 1.0);
    }

    [Fact]
    public void Reopen_rate_has_no_value_with_only_open_tickets()
    {
        var a = new AccountAggregates().With(Ticket(DaysAgo(1), "T-1", TicketStatus.Opened));
        a.AssertNoValue(Metric.ReopenRate);
        a.AssertValue(Metric.OpenTicketsWeighted, 1);
    }

    [Fact]
    public void A_late_solved_event_counts_on_its_own_day()
    {
        var a = new AccountAggregates().With(
            Ticket(T0, "T-new", TicketStatus.Opened),
            Ticket(DaysAgo(100), "T-1", TicketStatus.Opened),
            Ticket(DaysAgo(95), "T-1", TicketStatus.Solved)); // arrives late, 95 days old

        a.AssertNoValue(Metric.ReopenRate, windowDays: 90);
        a.AssertValue(Metric.ReopenRate, 0, windowDays: 100);
    }
}
