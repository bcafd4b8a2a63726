using CsMetrics.Scoring.Signals;

namespace CsMetrics.Scoring.Aggregates;

/// <summary>
/// The two facts playbook triggers need beyond the score (docs/playbooks.md): the newest NPS
/// detractor answer and the oldest urgent ticket still waiting for a first response. Both are
/// scans of capped collections, so they are computed only after a ticket or survey signal changed
/// something (and only while a detractor or an open urgent ticket exists), then cached.
/// </summary>
public sealed partial class AccountAggregates
{
    private bool _alertFactsStale = true;
    private long _latestDetractorTicks;
    private long _oldestUnansweredUrgentTicks;

    /// <summary>
    /// When the newest NPS answer was given among respondents whose latest answer is a detractor
    /// (0–6); null when no respondent's latest answer is one.
    /// </summary>
    public DateTimeOffset? LatestDetractorAt
    {
        get
        {
            RefreshAlertFacts();
            return _latestDetractorTicks == 0 ? null : new DateTimeOffset(_latestDetractorTicks, TimeSpan.Zero);
        }
    }

    /// <summary>
    /// When the oldest open urgent ticket without a first response was opened; null when every
    /// open urgent ticket has been answered (or none is open).
    /// </summary>
    public DateTimeOffset? OldestUnansweredUrgentAt
    {
        get
        {
            RefreshAlertFacts();
            return _oldestUnansweredUrgentTicks == 0 ? null : new DateTimeOffset(_oldestUnansweredUrgentTicks, TimeSpan.Zero);
        }
    }

    private void RefreshAlertFacts()
    {
        if (!_alertFactsStale)
        {
            return;
        }
        _alertFactsStale = false;
        _latestDetractorTicks = 0;
        if (NpsDetractors > 0)
        {
            foreach (var answer in NpsByRespondent.Values)
            {
                if (answer.Score <= 6 && answer.Ticks > _latestDetractorTicks)
                {
                    _latestDetractorTicks = answer.Ticks;
                }
            }
        }
        _oldestUnansweredUrgentTicks = 0;
        if (UrgentOpen > 0)
        {
            foreach (var t in Tickets.Values)
            {
                if (t.Priority == TicketPriority.Urgent && t.IsOpenStatus(t.Status) && t.OpenedTicks != 0 && t.FirstResponseTicks == 0
                    && (_oldestUnansweredUrgentTicks == 0 || t.OpenedTicks < _oldestUnansweredUrgentTicks))
                {
                    _oldestUnansweredUrgentTicks = t.OpenedTicks;
                }
            }
        }
    }
}
