using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Calibration;
using CsMetrics.Contracts.Index;
using CsMetrics.Contracts.Voc;
using CsMetrics.Scoring.Aggregates;
using CsMetrics.Scoring.Calibration;
using CsMetrics.Scoring.Scorecards;
using CsMetrics.Scoring.Signals;
using CsMetrics.Scoring.Voc;

namespace CsMetrics.Grains.Accounts;

/// <summary>
/// The account's part in calibration and the voice of the customer (docs/calibration.md, docs/voc.md):
/// it keeps a daily snapshot of band and components, reports its churns to a calibration shard,
/// and hands NPS comments to the month's comment store as they arrive.
/// </summary>
public sealed partial class AccountGrain
{
    /// <summary>The longest lookback a calibration report needs before a churn: the longest horizon plus the longest lead.</summary>
    public const int CalibrationLookbackDays = 365 + 90;

    /// <summary>Records (or replaces) today's snapshot; drops days beyond the retention, keeping the one still in force then.</summary>
    private void RecordCalibrationDay(Scorecard card, ComponentView[] components, string? band, DateTimeOffset now)
    {
        var state = _state.State;
        var scores = new float[components.Length];
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = components[i].Score is { } s ? (float)s : float.NaN;
        }
        int today = DayNumber.Of(now);
        var day = new CalibrationDay(today, band, card.Version, scores);
        var days = state.CalibrationDays;
        if (days.Count > 0 && days[^1].Day >= today)
        {
            days[^1] = day;
        }
        else
        {
            days.Add(day);
        }
        if (!state.CalibrationNames.Exists(n => n.Version == card.Version))
        {
            state.CalibrationNames.Add(new ComponentNames(card.Version, components.Select(c => c.Name).ToArray()));
        }

        int cutoff = today - _history.CalibrationDays;
        int drop = 0;
        while (drop < days.Count - 1 && days[drop + 1].Day <= cutoff)
        {
            drop++;
        }
        if (drop > 0)
        {
            days.RemoveRange(0, drop);
            state.CalibrationNames.RemoveAll(n => !days.Exists(d => d.Version == n.Version));
        }
    }

    /// <summary>Sends the churn report when the account's churn times changed (a revenue signal moved the MRR timeline).</summary>
    private void ReportChurnsIfChanged(DateTimeOffset now)
    {
        var state = _state.State;
        var churns = _aggregates.ChurnTimes();
        if (churns.AsSpan().SequenceEqual(state.ReportedChurns))
        {
            return;
        }
        state.ReportedChurns = churns;
        state.ChurnReportRevision = Math.Max(state.ChurnReportRevision + 1, now.UtcTicks);
        CalibrationDay[] days = [];
        ComponentNames[] names = [];
        if (churns.Length > 0)
        {
            int from = DayNumber.Of(churns[0]) - CalibrationLookbackDays;
            int to = DayNumber.Of(churns[^1]);
            // The day in force at the lookback start counts too: it says what the account showed then.
            int first = Math.Max(0, DatedBands.LatestOnOrBefore(state.CalibrationDays, from));
            days = state.CalibrationDays.Skip(first).TakeWhile(d => d.Day <= to).ToArray();
            names = state.CalibrationNames.Where(n => days.Any(d => d.Version == n.Version)).ToArray();
        }
        GrainFactory.Get<ICalibrationShard>(AccountIndex.ShardOf(AccountId))
            .Report(new ChurnReport(AccountId, state.ChurnReportRevision, churns, days, names)).Ignore();
    }

    /// <summary>An NPS answer with a comment goes to its month's store, with the account's segment and owner as they are now.</summary>
    private void KeepComment(Signal signal)
    {
        if (signal.Type != SignalType.Survey || signal.SurveyKind != SurveyKind.Nps || string.IsNullOrWhiteSpace(signal.Comment))
        {
            return;
        }
        var p = _state.State.Profile;
        var comment = new VocComment(signal.Id, AccountId, p?.Segment, p?.Owner, signal.SurveyScore,
            NpsCategory.Of(signal.SurveyScore), signal.Timestamp, signal.Comment);
        string month = VocMonths.KeyOf(signal.Timestamp);
        GrainFactory.Get<IVocCommentStore>(month).Add(comment).Ignore();
    }

    public Task<CalibrationPoint> GetCalibrationPoint(CalibrationWindow window)
    {
        var state = _state.State;
        bool paying = _aggregates.PayingAt(window.From);
        bool churned = state.ReportedChurns.Any(t => t > window.From && t <= window.To);
        int i = DatedBands.LatestOnOrBefore(state.CalibrationDays, window.PredictionDay);
        if (i < 0)
        {
            return Task.FromResult(new CalibrationPoint(AccountId, paying, churned, null, []));
        }
        var day = state.CalibrationDays[i];
        return Task.FromResult(new CalibrationPoint(AccountId, paying, churned, day.Band, CalibrationValues.Of(day, state.CalibrationNames)));
    }
}

/// <summary>Turns a snapshot back into named component values (included components only).</summary>
public static class CalibrationValues
{
    public static ComponentValue[] Of(CalibrationDay day, IEnumerable<ComponentNames> names)
    {
        var versionNames = names.FirstOrDefault(n => n.Version == day.Version)?.Names;
        if (versionNames is null)
        {
            return [];
        }
        var values = new List<ComponentValue>(day.Scores.Length);
        for (int i = 0; i < day.Scores.Length && i < versionNames.Length; i++)
        {
            if (!float.IsNaN(day.Scores[i]))
            {
                values.Add(new ComponentValue(versionNames[i], day.Scores[i]));
            }
        }
        return [.. values];
    }
}
