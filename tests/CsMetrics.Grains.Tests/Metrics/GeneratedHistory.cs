using CsMetrics.Scoring.Signals;

namespace CsMetrics.Grains.Tests.Metrics;

/// <summary>
/// A seeded random history of one account over 2021 – mid 2025: an MRR timeline with expansions,
/// contractions, churns and reactivations; NPS answers by a few respondents (so later answers
/// supersede earlier ones); CSAT/CES; tickets with first responses, solves, reopens and tags;
/// usage by a few users and features; touchpoints; self-service.
/// </summary>
public static class GeneratedHistory
{
    public static readonly DateTimeOffset Start = new(2021, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public const int SpanDays = 1600; // through May 2025

    public static List<Signal> For(string account, Random r)
    {
        var signals = new List<Signal>();
        int n = 0;
        string Id() => $"{account}-{n++}";
        DateTimeOffset At(int day) => Start.AddDays(day).AddMinutes(r.Next(0, 24 * 60));

        decimal mrr = 0;
        foreach (int day in Days(r, r.Next(1, 7)))
        {
            // 1 in 4 changes is a churn to 0 (then a later one reactivates).
            mrr = mrr > 0 && r.Next(4) == 0 ? 0 : r.Next(1, 50) * 10m;
            signals.Add(new Signal { Id = Id(), AccountId = account, Type = SignalType.Revenue, Timestamp = At(day), Mrr = mrr });
        }
        foreach (int day in Days(r, r.Next(0, 8)))
        {
            signals.Add(new Signal { Id = Id(), AccountId = account, Type = SignalType.Survey, Timestamp = At(day), SurveyKind = SurveyKind.Nps, SurveyScore = r.Next(0, 11), RespondentId = "resp-" + r.Next(3) });
        }
        foreach (int day in Days(r, r.Next(0, 5)))
        {
            var kind = r.Next(2) == 0 ? SurveyKind.Csat : SurveyKind.Ces;
            signals.Add(new Signal { Id = Id(), AccountId = account, Type = SignalType.Survey, Timestamp = At(day), SurveyKind = kind, SurveyScore = kind == SurveyKind.Csat ? r.Next(1, 6) : r.Next(1, 8) });
        }
        string[] tags = ["billing", "bug", "sso", "performance"];
        foreach (int day in Days(r, r.Next(0, 6)))
        {
            string ticket = "T-" + n;
            var opened = At(day);
            signals.Add(new Signal { Id = Id(), AccountId = account, Type = SignalType.Ticket, Timestamp = opened, TicketId = ticket, TicketStatus = TicketStatus.Opened, Tags = [tags[r.Next(tags.Length)]] });
            signals.Add(new Signal { Id = Id(), AccountId = account, Type = SignalType.Ticket, Timestamp = opened.AddMinutes(r.Next(1, 3000)), TicketId = ticket, TicketStatus = TicketStatus.FirstResponse });
            if (r.Next(3) > 0)
            {
                signals.Add(new Signal { Id = Id(), AccountId = account, Type = SignalType.Ticket, Timestamp = opened.AddDays(r.Next(1, 5)), TicketId = ticket, TicketStatus = TicketStatus.Solved, AgentReplies = r.Next(0, 4) });
            }
            if (r.Next(4) == 0)
            {
                signals.Add(new Signal { Id = Id(), AccountId = account, Type = SignalType.Ticket, Timestamp = opened.AddDays(6), TicketId = ticket, TicketStatus = TicketStatus.Reopened });
            }
        }
        string[] features = ["reports", "export", "alerts"];
        foreach (int day in Days(r, r.Next(0, 25)))
        {
            signals.Add(new Signal { Id = Id(), AccountId = account, Type = SignalType.Usage, Timestamp = At(day), UserId = "user-" + r.Next(4), Feature = r.Next(2) == 0 ? features[r.Next(3)] : null, Count = r.Next(1, 5) });
        }
        foreach (int day in Days(r, r.Next(0, 4)))
        {
            signals.Add(new Signal { Id = Id(), AccountId = account, Type = SignalType.Touchpoint, Timestamp = At(day), TouchpointKind = (TouchpointKind)r.Next(6), By = "csm" });
        }
        foreach (int day in Days(r, r.Next(0, 4)))
        {
            signals.Add(new Signal { Id = Id(), AccountId = account, Type = SignalType.SelfService, Timestamp = At(day), UserId = "user-" + r.Next(4), ArticleId = "kb-" + r.Next(3), SelfServiceAction = (SelfServiceAction)r.Next(3) });
        }
        return signals;
    }

    /// <summary>Sorted random days in the span; clustered half the time so periods see several events.</summary>
    private static IEnumerable<int> Days(Random r, int count)
    {
        int centre = r.Next(SpanDays);
        return Enumerable.Range(0, count)
            .Select(_ => r.Next(2) == 0 ? Math.Clamp(centre + r.Next(-40, 40), 0, SpanDays - 1) : r.Next(SpanDays))
            .Order();
    }
}
