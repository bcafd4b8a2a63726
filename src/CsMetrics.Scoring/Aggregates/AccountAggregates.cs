using CsMetrics.Scoring.Metrics;
using CsMetrics.Scoring.Scorecards;
using CsMetrics.Scoring.Signals;

namespace CsMetrics.Scoring.Aggregates;

/// <summary>
/// Everything one account remembers about its signals, as incremental aggregates: daily buckets
/// for windowed counts, the latest activity per user and feature, open tickets, the latest NPS
/// answer per respondent, and the MRR timeline. Applying a signal is O(1) (amortised) and never
/// rescans history; every collection is capped (<see cref="SignalLimits"/>), so state stays
/// bounded however long the account lives. Not thread-safe: its owner (the account grain) is
/// single-threaded.
/// </summary>
public sealed partial class AccountAggregates
{
    internal readonly DailyWindow Window = new();
    internal readonly SeenIds Seen = new();
    /// <summary>
    /// Each user's and feature's latest usage day, indexed like the metrics history's user and
    /// feature tables (<see cref="AccountHistory.Users"/>, <see cref="AccountHistory.Features"/>):
    /// one string table per account instead of two. <see cref="LastDays.Never"/> for a user the
    /// history knows only from self-service signals.
    /// </summary>
    internal readonly LastDays UserLastSeen = new();
    internal readonly LastDays FeatureLastUsed = new();
    internal readonly Dictionary<string, TicketState> Tickets = new(StringComparer.Ordinal);
    internal readonly FirstResponseSamples FirstResponses = new();
    internal readonly Dictionary<string, NpsAnswer> NpsByRespondent = new(StringComparer.Ordinal);
    internal readonly List<MrrPoint> Mrr = [];
    internal readonly long[] Counts = new long[6];
    /// <summary>The long memory behind the metrics catalog (any past period, out-of-order safe).</summary>
    internal readonly AccountHistory History = new();

    /// <summary>The newest event day seen: it anchors the daily ring.</summary>
    internal int NewestDay;
    internal int LastUsageDay = int.MinValue;
    internal long LastSignalTicks;
    internal double OpenTicketsWeighted;
    internal int UrgentOpen;
    internal int NpsPromoters, NpsPassives, NpsDetractors;

    public long SignalCount(SignalType type) => Counts[(int)type];

    public bool HasData(SignalType type) => Counts[(int)type] > 0;

    public DateTimeOffset? LastSignalAt => LastSignalTicks == 0 ? null : new DateTimeOffset(LastSignalTicks, TimeSpan.Zero);

    /// <summary>Latest MRR known at or before now (0 when none).</summary>
    public decimal CurrentMrr(DateTimeOffset now) => MrrAt(now.UtcTicks) ?? 0m;

    public int TrackedUsers => UserLastSeen.Count;

    internal int TrackedFeatures => FeatureLastUsed.Count;

    /// <summary>
    /// Applies one signal. Returns false, changing nothing, when its id was already applied
    /// (within the <see cref="SeenIds"/> window). <paramref name="arrival"/> is the server's clock,
    /// which ages the id memory; the signal's own timestamp places it in its bucket.
    /// </summary>
    public bool Apply(Signal signal, DateTimeOffset arrival)
    {
        if (signal.Type == SignalType.Ticket && signal.TicketId is null)
        {
            // Checked before anything changes: a bad signal must leave no trace.
            throw new ArgumentException("A ticket signal needs a ticketId.", nameof(signal));
        }
        int arrivalDay = DailyWindow.DayOf(arrival);
        if (!Seen.TryAdd(signal.Id, arrivalDay))
        {
            return false;
        }

        long ticks = signal.Timestamp.UtcTicks;
        int day = DailyWindow.DayOf(ticks);
        if (day > NewestDay)
        {
            NewestDay = day;
            // Once per new day: forget tickets closed more than 90 days ago (bounded state).
            if (Tickets.Count > 0)
            {
                PruneTickets(ticks, force: false);
            }
        }
        if (ticks > LastSignalTicks)
        {
            LastSignalTicks = ticks;
        }
        Counts[(int)signal.Type]++;
        var (user, feature) = History.Apply(signal, ticks, day);

        switch (signal.Type)
        {
            case SignalType.Usage:
                ApplyUsage(signal, day, user, feature);
                break;
            case SignalType.Ticket:
                ApplyTicket(signal, ticks, day);
                _alertFactsStale = true;
                break;
            case SignalType.Survey:
                ApplySurvey(signal, ticks, day);
                _alertFactsStale = true;
                break;
            case SignalType.Revenue:
                ApplyRevenue(ticks, signal.Mrr);
                break;
        }
        return true;
    }

    /// <summary>Whether this id was applied within the dedup window (read-only check).</summary>
    public bool HasSeen(string signalId) => Seen.Contains(signalId);

    private void ApplyUsage(Signal s, int day, int user, int feature)
    {
        ref DayBucket b = ref Window.Slot(day, NewestDay, out bool inRange);
        if (inRange)
        {
            // Saturate rather than wrap: a day's count may exceed int (MaxUsageCount per signal).
            b.UsageEvents = (int)Math.Min(int.MaxValue, (long)b.UsageEvents + Math.Max(1, s.Count));
        }
        if (day > LastUsageDay)
        {
            LastUsageDay = day;
        }

        // Users and features over their caps have no index (-1): their usage counts, they are not tracked.
        if (user >= 0 && UserLastSeen.TryAdvance(user, day, out int previous))
        {
            MoveUserLastSeen(previous, day);
        }
        if (feature >= 0)
        {
            FeatureLastUsed.TryAdvance(feature, day, out _);
        }
    }

    private void MoveUserLastSeen(int fromDay, int toDay)
    {
        if (fromDay != int.MinValue)
        {
            ref DayBucket old = ref Window.Slot(fromDay, NewestDay, out bool oldInRange);
            if (oldInRange && old.UsersLastSeen > 0)
            {
                old.UsersLastSeen--;
            }
        }
        ref DayBucket b = ref Window.Slot(toDay, NewestDay, out bool inRange);
        if (inRange)
        {
            b.UsersLastSeen++;
        }
    }

    private void ApplyTicket(Signal s, long ticks, int day)
    {
        string id = s.TicketId!;
        if (!Tickets.TryGetValue(id, out var t))
        {
            if (Tickets.Count >= SignalLimits.MaxTicketsPerAccount)
            {
                PruneTickets(ticks, force: true);
            }
            t = new TicketState { Priority = s.Priority };
            SmallMaps.BeforeAdd(Tickets);
            Tickets[id] = t;
        }

        // Take the ticket's contribution out, change it, put it back: keeps the open-ticket
        // aggregates exact with out-of-order events and priority changes.
        Contribute(t, -1);

        if (ticks >= t.StatusTicks)
        {
            t.StatusTicks = ticks;
            t.Priority = s.Priority;
            t.Status = s.TicketStatus;
        }
        if (s.AgentReplies is { } replies && replies > t.AgentReplies)
        {
            t.AgentReplies = replies;
        }

        switch (s.TicketStatus)
        {
            case TicketStatus.Opened:
                if (t.OpenedTicks == 0 || ticks < t.OpenedTicks)
                {
                    t.OpenedTicks = ticks;
                }
                break;
            case TicketStatus.FirstResponse:
                if (t.FirstResponseTicks == 0 || ticks < t.FirstResponseTicks)
                {
                    t.FirstResponseTicks = ticks;
                }
                break;
            case TicketStatus.Solved:
            {
                ref DayBucket b = ref Window.Slot(day, NewestDay, out bool inRange);
                if (inRange)
                {
                    b.TicketsSolved++;
                }
                break;
            }
            case TicketStatus.Reopened:
            {
                ref DayBucket b = ref Window.Slot(day, NewestDay, out bool inRange);
                if (inRange)
                {
                    b.TicketsReopened++;
                }
                break;
            }
        }

        if (!t.FirstResponseSampled && t.OpenedTicks != 0 && t.FirstResponseTicks >= t.OpenedTicks && t.FirstResponseTicks != 0)
        {
            t.FirstResponseSampled = true;
            FirstResponses.Add(DailyWindow.DayOf(t.FirstResponseTicks), (t.FirstResponseTicks - t.OpenedTicks) / (double)TimeSpan.TicksPerHour);
        }

        Contribute(t, +1);
    }

    private void Contribute(TicketState t, int sign)
    {
        if (!t.IsOpenStatus(t.Status) || t.StatusTicks == 0)
        {
            return;
        }
        OpenTicketsWeighted += sign * PriorityWeight(t.Priority);
        if (t.Priority == TicketPriority.Urgent)
        {
            UrgentOpen += sign;
        }
        if (Math.Abs(OpenTicketsWeighted) < 1e-9)
        {
            OpenTicketsWeighted = 0;
        }
    }

    public static double PriorityWeight(TicketPriority p) => p switch
    {
        TicketPriority.Low => 0.5,
        TicketPriority.Normal => 1,
        TicketPriority.High => 2,
        _ => 4,
    };

    /// <summary>Drops closed tickets whose last event is older than 90 days (or, when forced, the oldest closed ones).</summary>
    private void PruneTickets(long nowTicks, bool force)
    {
        long cutoff = nowTicks - TimeSpan.FromDays(90).Ticks;
        List<string>? drop = null;
        foreach (var (id, t) in Tickets)
        {
            if (!t.IsOpenStatus(t.Status) && (t.StatusTicks < cutoff || force))
            {
                (drop ??= []).Add(id);
            }
        }
        if (drop is null && force)
        {
            // Every tracked ticket is open: forget the oldest one so the cap holds.
            string? oldest = null;
            long oldestTicks = long.MaxValue;
            foreach (var (id, t) in Tickets)
            {
                if (t.StatusTicks < oldestTicks)
                {
                    oldest = id;
                    oldestTicks = t.StatusTicks;
                }
            }
            if (oldest is not null)
            {
                Contribute(Tickets[oldest], -1);
                Tickets.Remove(oldest);
            }
            return;
        }
        if (drop is not null)
        {
            foreach (var id in drop)
            {
                Tickets.Remove(id);
            }
        }
    }

    private void ApplySurvey(Signal s, long ticks, int day)
    {
        switch (s.SurveyKind)
        {
            case SurveyKind.Nps:
            {
                string respondent = s.RespondentId ?? s.Id;
                if (NpsByRespondent.TryGetValue(respondent, out var previous))
                {
                    if (ticks < previous.Ticks)
                    {
                        return; // an older answer than the one we hold: the latest wins
                    }
                    CountNps(previous.Score, -1);
                }
                else if (NpsByRespondent.Count >= SignalLimits.MaxRespondentsPerAccount)
                {
                    EvictOldestRespondent();
                }
                NpsByRespondent[respondent] = new NpsAnswer(ticks, (byte)s.SurveyScore);
                CountNps(s.SurveyScore, +1);
                break;
            }
            case SurveyKind.Csat:
            {
                ref DayBucket b = ref Window.Slot(day, NewestDay, out bool inRange);
                if (inRange)
                {
                    b.CsatAnswers++;
                    if (s.SurveyScore >= 4)
                    {
                        b.CsatPositive++;
                    }
                }
                break;
            }
            case SurveyKind.Ces:
            {
                ref DayBucket b = ref Window.Slot(day, NewestDay, out bool inRange);
                if (inRange)
                {
                    b.CesAnswers++;
                    b.CesSum += s.SurveyScore;
                }
                break;
            }
        }
    }

    private void CountNps(int score, int delta)
    {
        if (score >= 9)
        {
            NpsPromoters += delta;
        }
        else if (score >= 7)
        {
            NpsPassives += delta;
        }
        else
        {
            NpsDetractors += delta;
        }
    }

    private void EvictOldestRespondent()
    {
        string? oldest = null;
        long oldestTicks = long.MaxValue;
        foreach (var (id, a) in NpsByRespondent)
        {
            if (a.Ticks < oldestTicks)
            {
                oldest = id;
                oldestTicks = a.Ticks;
            }
        }
        if (oldest is not null)
        {
            CountNps(NpsByRespondent[oldest].Score, -1);
            NpsByRespondent.Remove(oldest);
        }
    }

    private void ApplyRevenue(long ticks, decimal mrr)
    {
        // Keep the timeline sorted by event time so history imported out of order reads right.
        int lo = 0, hi = Mrr.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (Mrr[mid].Ticks <= ticks)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        Mrr.Insert(lo, new MrrPoint(ticks, mrr));
        if (Mrr.Count > SignalLimits.MaxRevenuePoints)
        {
            Mrr.RemoveAt(0);
        }
    }

    internal decimal? MrrAt(long ticks)
    {
        int lo = 0, hi = Mrr.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (Mrr[mid].Ticks <= ticks)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo == 0 ? null : Mrr[lo - 1].Mrr;
    }

    /// <summary>
    /// Reads one raw metric as of <paramref name="now"/>. False when the metric has no value
    /// (no data in its window, or seats unknown for a per-seat metric): the measure is then left
    /// out of its component and the other measures' weights re-normalised.
    /// </summary>
    public bool TryGetMetric(Metric metric, int windowDays, int seats, IReadOnlyList<string> keyFeatures, DateTimeOffset now, out double value)
    {
        int today = DailyWindow.DayOf(now);
        // Windows end at tomorrow so that timestamps up to a day ahead (clock skew) still count.
        int end = today + 1;
        int start = today - windowDays + 1;
        value = 0;
        switch (metric)
        {
            case Metric.ActiveUsersPerSeat:
                if (seats <= 0 || !HasData(SignalType.Usage))
                {
                    return false;
                }
                value = Window.Sum(start, end).UsersLastSeen / (double)seats;
                return true;

            case Metric.UsageTrend:
            {
                if (!HasData(SignalType.Usage))
                {
                    return false;
                }
                long last7 = Window.Sum(today - 6, end).UsageEvents;
                long prior28 = Window.Sum(today - 34, today - 7).UsageEvents;
                value = prior28 == 0 ? (last7 > 0 ? 1.0 : 0.0) : last7 / (prior28 / 4.0);
                return true;
            }

            case Metric.DaysSinceLastUsage:
                if (!HasData(SignalType.Usage))
                {
                    return false;
                }
                value = Math.Max(0, today - LastUsageDay);
                return true;

            case Metric.KeyFeaturesUsed:
            {
                if (!HasData(SignalType.Usage))
                {
                    return false;
                }
                int used = 0;
                if (keyFeatures.Count == 0)
                {
                    foreach (int d in FeatureLastUsed.Days)
                    {
                        if (d >= start)
                        {
                            used++;
                        }
                    }
                }
                else
                {
                    for (int i = 0; i < keyFeatures.Count; i++)
                    {
                        if (History.Features.TryGetValue(keyFeatures[i], out int index) && FeatureLastUsed[index] >= start)
                        {
                            used++;
                        }
                    }
                }
                value = used;
                return true;
            }

            case Metric.OpenTicketsWeighted:
                value = OpenTicketsWeighted;
                return HasData(SignalType.Ticket);

            case Metric.UrgentTicketsOpen:
                value = UrgentOpen;
                return HasData(SignalType.Ticket);

            case Metric.FirstResponseMedianHours:
                return FirstResponses.TryMedian(start, out value);

            case Metric.ReopenRate:
            {
                var totals = Window.Sum(start, end);
                long solved = totals.TicketsSolved;
                long reopened = totals.TicketsReopened;
                if (solved == 0 && reopened == 0)
                {
                    return false;
                }
                value = solved == 0 ? 1.0 : Math.Min(1.0, reopened / (double)solved);
                return true;
            }

            case Metric.Nps:
            {
                int total = NpsPromoters + NpsPassives + NpsDetractors;
                if (total == 0)
                {
                    return false;
                }
                value = (NpsPromoters - NpsDetractors) * 100.0 / total;
                return true;
            }

            case Metric.CsatPositiveRate:
            {
                var totals = Window.Sum(start, end);
                long answers = totals.CsatAnswers;
                if (answers == 0)
                {
                    return false;
                }
                value = totals.CsatPositive * 100.0 / answers;
                return true;
            }

            case Metric.CesMean:
            {
                var totals = Window.Sum(start, end);
                long answers = totals.CesAnswers;
                if (answers == 0)
                {
                    return false;
                }
                value = totals.CesSum / (double)answers;
                return true;
            }

            case Metric.DaysSinceLastTouchpoint:
                if (History.LastTouchpointDay(end) is not { } lastTouch)
                {
                    return false;
                }
                value = Math.Max(0, today - lastTouch);
                return true;

            case Metric.TouchpointsPerMonth:
                if (!HasData(SignalType.Touchpoint))
                {
                    return false;
                }
                value = History.TouchpointsBetween(start, end) * (MetricsCalculator.DaysPerMonth / windowDays);
                return true;

            case Metric.MrrChangePct:
            {
                if (Mrr.Count == 0)
                {
                    return false;
                }
                decimal? current = MrrAt(now.UtcTicks + TimeSpan.TicksPerDay);
                if (current is null)
                {
                    return false;
                }
                // Before the first known MRR the account is measured against its first value:
                // a young account is "flat", not "infinitely grown".
                decimal past = MrrAt(now.UtcTicks - TimeSpan.FromDays(windowDays).Ticks) ?? Mrr[0].Mrr;
                if (current.Value == 0)
                {
                    value = -100;
                }
                else if (past == 0)
                {
                    value = 100;
                }
                else
                {
                    value = (double)((current.Value - past) / past * 100m);
                }
                return true;
            }
        }
        return false;
    }
}

internal sealed class TicketState
{
    public TicketPriority Priority;
    public TicketStatus Status;
    public long StatusTicks;
    public long OpenedTicks;
    public long FirstResponseTicks;
    public int AgentReplies;
    public bool FirstResponseSampled;

    public bool IsOpenStatus(TicketStatus s) => s is TicketStatus.Opened or TicketStatus.FirstResponse or TicketStatus.Reopened;
}

internal readonly record struct NpsAnswer(long Ticks, byte Score);

internal readonly record struct MrrPoint(long Ticks, decimal Mrr);
