using CsMetrics.Scoring.Health;
using CsMetrics.Scoring.Signals;
using static CsMetrics.Scoring.Tests.Support.Sig;

namespace CsMetrics.Scoring.Tests.Health;

public class ChangeReasonTests
{
    [Fact]
    public void Describes_a_ticket_change_with_the_component_move()
    {
        var s = Ticket(T0, "T-9", TicketStatus.Opened, TicketPriority.Urgent);
        Assert.Equal("urgent ticket T-9 opened: support 90 → 40", ChangeReason.Describe(s, "support", 90, 40));
    }

    [Fact]
    public void Describes_each_signal_type()
    {
        Assert.Equal("usage of api.call", ChangeReason.DescribeSignal(Usage(T0, feature: "api.call")));
        Assert.Equal("usage", ChangeReason.DescribeSignal(Usage(T0)));
        Assert.Equal("normal ticket T-1 first response", ChangeReason.DescribeSignal(Ticket(T0, "T-1", TicketStatus.FirstResponse)));
        Assert.Equal("NPS answer 3", ChangeReason.DescribeSignal(Nps(T0, 3)));
        Assert.Equal("CSAT answer 5", ChangeReason.DescribeSignal(Csat(T0, 5)));
        Assert.Equal("MRR went to 0 (churned)", ChangeReason.DescribeSignal(Revenue(T0, 0)));
        Assert.Equal("MRR now 1234.5", ChangeReason.DescribeSignal(Revenue(T0, 1234.50m)));
    }

    [Fact]
    public void Without_a_signal_or_component()
    {
        Assert.Equal("re-evaluated", ChangeReason.Describe(null, null, null, null));
        Assert.Equal("scorecard v2: revenue now 75.5", ChangeReason.Describe(null, "revenue", null, 75.5, "scorecard v2"));
        Assert.Equal("usage", ChangeReason.Describe(Usage(T0), null, 1, 2));
    }

    [Theory]
    [InlineData(12.0, "12")]
    [InlineData(12.34, "12.3")]
    [InlineData(null, "–")]
    public void Formats_scores_with_at_most_one_decimal(double? value, string text)
    {
        Assert.Equal(text, ChangeReason.Format(value));
    }
}
