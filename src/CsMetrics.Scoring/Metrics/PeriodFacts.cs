namespace CsMetrics.Scoring.Metrics;

/// <summary>
/// The facts of one period summed over one account or many: plain numbers and small maps, so
/// sums over shards are just additions. <see cref="MetricsCalculator"/> turns them into metrics.
/// Public mutable fields keep it cheap to fill and trivially serialisable (JSON between grains).
/// </summary>
public sealed class PeriodFacts
{
    public int From { get; set; }
    public int To { get; set; }

    public long Accounts { get; set; }
    public long Seats { get; set; }

    public SentimentCounts New { get; set; } = new();
    public SentimentCounts Older { get; set; } = new();
    public Dictionary<string, SentimentCounts> BySegment { get; set; } = new(StringComparer.Ordinal);
    public long CesAnswers { get; set; }
    public long CesSum { get; set; }
    public long CesHigh { get; set; }

    public long TicketsOpened { get; set; }
    public long TicketsSolved { get; set; }
    public long TicketsSolvedKnownReplies { get; set; }
    public long TicketsSolvedFirstContact { get; set; }
    public long TicketsReopened { get; set; }
    /// <summary>Whole minutes → tickets.</summary>
    public Dictionary<int, long> FirstResponseMinutes { get; set; } = [];
    public Dictionary<string, long> Tags { get; set; } = new(StringComparer.Ordinal);

    public long UsageEvents { get; set; }
    public long UserDays { get; set; }
    public long ActiveUsers { get; set; }
    public long ActiveUsersOfSeatedAccounts { get; set; }
    public long Wau { get; set; }
    public long Mau { get; set; }
    public Dictionary<string, long> FeatureUsers { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Σ over accounts of distinct features used in the period.</summary>
    public long FeatureBreadthSum { get; set; }
    public long AccountsWithUsage { get; set; }
    /// <summary>Days to value → accounts.</summary>
    public Dictionary<int, long> TimeToValueDays { get; set; } = [];

    public decimal MrrStart { get; set; }
    public decimal MrrEnd { get; set; }
    public long PayingStart { get; set; }
    public long PayingEnd { get; set; }
    public decimal NewMrr { get; set; }
    public decimal ExpansionMrr { get; set; }
    public decimal ContractionMrr { get; set; }
    public decimal ChurnMrr { get; set; }
    public decimal ReactivationMrr { get; set; }
    /// <summary>Movements of the accounts paying at the start (the GRR/NRR cohort).</summary>
    public decimal CohortExpansionMrr { get; set; }
    public decimal CohortContractionMrr { get; set; }
    public decimal CohortChurnMrr { get; set; }
    public long CohortChurnedAccounts { get; set; }
    public long RenewalsDue { get; set; }
    public long RenewalsKept { get; set; }

    public long Touchpoints { get; set; }
    public Dictionary<string, long> TouchpointKinds { get; set; } = new(StringComparer.Ordinal);
    public long DaysSinceLastTouchpointSum { get; set; }
    public long AccountsWithTouchpoint { get; set; }

    public Dictionary<string, ArticleCounts> Articles { get; set; } = new(StringComparer.Ordinal);
    public long SelfServiceUsers { get; set; }

    public static PeriodFacts Empty(int from, int to) => new() { From = from, To = to };

    /// <summary>Sums one account's (or one group's) facts into this period; <paramref name="segment"/> keys the per-segment sentiment.</summary>
    public void Add(IEnumerable<KeyValuePair<FactKey, decimal>> facts, string segment)
    {
        int from = From, to = To;
        int week = to - 6, month = to - 29;
        SentimentCounts? bySegment = null;
        foreach (var (k, v) in facts)
        {
            long n = (long)v;
            bool inPeriod = k.Day >= from && k.Day <= to;
            switch (k.Kind)
            {
                case FactKind.Account: Accounts += n; break;
                case FactKind.Seats: Seats += n; break;
                case FactKind.NpsPromoter or FactKind.NpsPassive or FactKind.NpsDetractor:
                    if (inPeriod && k.Aux > to)
                    {
                        bySegment ??= SegmentOf(segment);
                        Tenure(k.Label).AddNps(k.Kind, n);
                        bySegment.AddNps(k.Kind, n);
                    }
                    break;
                case FactKind.CsatAnswer:
                    if (inPeriod)
                    {
                        bySegment ??= SegmentOf(segment);
                        Tenure(k.Label).CsatAnswers += n;
                        bySegment.CsatAnswers += n;
                    }
                    break;
                case FactKind.CsatPositive:
                    if (inPeriod)
                    {
                        bySegment ??= SegmentOf(segment);
                        Tenure(k.Label).CsatPositive += n;
                        bySegment.CsatPositive += n;
                    }
                    break;
                case FactKind.CesAnswer: if (inPeriod) { CesAnswers += n; } break;
                case FactKind.CesSum: if (inPeriod) { CesSum += n; } break;
                case FactKind.CesHigh: if (inPeriod) { CesHigh += n; } break;
                case FactKind.TicketOpened: if (inPeriod) { TicketsOpened += n; } break;
                case FactKind.TicketTag: if (inPeriod) { Bump(Tags, k.Label!, n); } break;
                case FactKind.FirstResponse: if (inPeriod) { FirstResponseMinutes[k.Aux] = FirstResponseMinutes.GetValueOrDefault(k.Aux) + n; } break;
                case FactKind.TicketSolved: if (inPeriod) { TicketsSolved += n; } break;
                case FactKind.TicketSolvedKnownReplies: if (inPeriod) { TicketsSolvedKnownReplies += n; } break;
                case FactKind.TicketSolvedFirstContact: if (inPeriod) { TicketsSolvedFirstContact += n; } break;
                case FactKind.TicketReopened: if (inPeriod) { TicketsReopened += n; } break;
                case FactKind.UsageEvents: if (inPeriod) { UsageEvents += n; } break;
                case FactKind.UserActive:
                    if (inPeriod)
                    {
                        UserDays += n;
                        // A user counts once: on their first active day in the window.
                        if (k.Aux < from)
                        {
                            ActiveUsers += n;
                            if (k.Label is not null)
                            {
                                ActiveUsersOfSeatedAccounts += n;
                            }
                        }
                    }
                    // WAU and MAU end at `to` whatever the period's length.
                    if (k.Day <= to && k.Day >= week && k.Aux < week)
                    {
                        Wau += n;
                    }
                    if (k.Day <= to && k.Day >= month && k.Aux < month)
                    {
                        Mau += n;
                    }
                    break;
                case FactKind.FeatureActive: if (inPeriod && k.Aux < from) { FeatureBreadthSum += n; } break;
                case FactKind.FeatureUserActive: if (inPeriod && k.Aux < from) { Bump(FeatureUsers, k.Label!, n); } break;
                case FactKind.AccountActive: if (inPeriod && k.Aux < from) { AccountsWithUsage += n; } break;
                case FactKind.TimeToValue: if (inPeriod) { TimeToValueDays[k.Aux] = TimeToValueDays.GetValueOrDefault(k.Aux) + n; } break;
                case FactKind.MrrDelta:
                    if (k.Day < from)
                    {
                        MrrStart += v;
                    }
                    if (k.Day <= to)
                    {
                        MrrEnd += v;
                    }
                    break;
                case FactKind.PayingDelta:
                    if (k.Day < from)
                    {
                        PayingStart += n;
                    }
                    if (k.Day <= to)
                    {
                        PayingEnd += n;
                    }
                    break;
                case FactKind.NewMrr: if (inPeriod) { NewMrr += v; } break;
                case FactKind.ReactivationMrr: if (inPeriod) { ReactivationMrr += v; } break;
                case FactKind.ExpansionMrr:
                    if (inPeriod)
                    {
                        ExpansionMrr += v;
                        if (k.Aux < from) { CohortExpansionMrr += v; }
                    }
                    break;
                case FactKind.ContractionMrr:
                    if (inPeriod)
                    {
                        ContractionMrr += v;
                        if (k.Aux < from) { CohortContractionMrr += v; }
                    }
                    break;
                case FactKind.ChurnMrr:
                    if (inPeriod)
                    {
                        ChurnMrr += v;
                        if (k.Aux < from) { CohortChurnMrr += v; }
                    }
                    break;
                case FactKind.ChurnLogo: if (inPeriod && k.Aux < from) { CohortChurnedAccounts += n; } break;
                case FactKind.Renewal:
                    if (inPeriod)
                    {
                        RenewalsDue += n;
                        if (k.Aux == 1) { RenewalsKept += n; }
                    }
                    break;
                case FactKind.Touchpoint:
                    if (inPeriod)
                    {
                        Touchpoints += n;
                        Bump(TouchpointKinds, k.Label!, n);
                    }
                    break;
                case FactKind.TouchpointDay:
                    // The latest touchpoint at or before `to` is the one whose next is after `to`.
                    if (k.Day <= to && k.Aux > to)
                    {
                        DaysSinceLastTouchpointSum += (to - k.Day) * n;
                        AccountsWithTouchpoint += n;
                    }
                    break;
                case FactKind.ArticleView: if (inPeriod) { ArticleOf(k.Label!).Views += n; } break;
                case FactKind.ArticleHelpful: if (inPeriod) { ArticleOf(k.Label!).Helpful += n; } break;
                case FactKind.ArticleNotHelpful: if (inPeriod) { ArticleOf(k.Label!).NotHelpful += n; } break;
                case FactKind.SelfServiceUser: if (inPeriod && k.Aux < from) { SelfServiceUsers += n; } break;
            }
        }
    }

    private SentimentCounts Tenure(string? label) => label == MetricFacts.TenureNew ? New : Older;

    private SentimentCounts SegmentOf(string segment)
    {
        if (!BySegment.TryGetValue(segment, out var s))
        {
            s = new SentimentCounts();
            BySegment[segment] = s;
        }
        return s;
    }

    private ArticleCounts ArticleOf(string article)
    {
        if (!Articles.TryGetValue(article, out var a))
        {
            a = new ArticleCounts();
            Articles[article] = a;
        }
        return a;
    }

    private static void Bump<TKey>(Dictionary<TKey, long> map, TKey key, long n) where TKey : notnull =>
        map[key] = map.GetValueOrDefault(key) + n;

    /// <summary>Adds another period's sums (same from/to) into this one.</summary>
    public void Merge(PeriodFacts o)
    {
        Accounts += o.Accounts; Seats += o.Seats;
        New.Merge(o.New); Older.Merge(o.Older);
        foreach (var (seg, s) in o.BySegment) { SegmentOf(seg).Merge(s); }
        CesAnswers += o.CesAnswers; CesSum += o.CesSum; CesHigh += o.CesHigh;
        TicketsOpened += o.TicketsOpened; TicketsSolved += o.TicketsSolved; TicketsSolvedKnownReplies += o.TicketsSolvedKnownReplies;
        TicketsSolvedFirstContact += o.TicketsSolvedFirstContact; TicketsReopened += o.TicketsReopened;
        foreach (var (m, n) in o.FirstResponseMinutes) { Bump(FirstResponseMinutes, m, n); }
        foreach (var (t, n) in o.Tags) { Bump(Tags, t, n); }
        UsageEvents += o.UsageEvents; UserDays += o.UserDays; ActiveUsers += o.ActiveUsers;
        ActiveUsersOfSeatedAccounts += o.ActiveUsersOfSeatedAccounts; Wau += o.Wau; Mau += o.Mau;
        foreach (var (f, n) in o.FeatureUsers) { Bump(FeatureUsers, f, n); }
        FeatureBreadthSum += o.FeatureBreadthSum; AccountsWithUsage += o.AccountsWithUsage;
        foreach (var (d, n) in o.TimeToValueDays) { Bump(TimeToValueDays, d, n); }
        MrrStart += o.MrrStart; MrrEnd += o.MrrEnd; PayingStart += o.PayingStart; PayingEnd += o.PayingEnd;
        NewMrr += o.NewMrr; ExpansionMrr += o.ExpansionMrr; ContractionMrr += o.ContractionMrr; ChurnMrr += o.ChurnMrr;
        ReactivationMrr += o.ReactivationMrr; CohortExpansionMrr += o.CohortExpansionMrr; CohortContractionMrr += o.CohortContractionMrr;
        CohortChurnMrr += o.CohortChurnMrr; CohortChurnedAccounts += o.CohortChurnedAccounts;
        RenewalsDue += o.RenewalsDue; RenewalsKept += o.RenewalsKept;
        Touchpoints += o.Touchpoints;
        foreach (var (k, n) in o.TouchpointKinds) { Bump(TouchpointKinds, k, n); }
        DaysSinceLastTouchpointSum += o.DaysSinceLastTouchpointSum; AccountsWithTouchpoint += o.AccountsWithTouchpoint;
        foreach (var (a, c) in o.Articles)
        {
            var mine = ArticleOf(a);
            mine.Views += c.Views; mine.Helpful += c.Helpful; mine.NotHelpful += c.NotHelpful;
        }
        SelfServiceUsers += o.SelfServiceUsers;
    }

    public byte[] ToBytes() => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(this);

    public static PeriodFacts FromBytes(byte[] data) => System.Text.Json.JsonSerializer.Deserialize<PeriodFacts>(data)!;
}

public sealed class SentimentCounts
{
    public long Promoters { get; set; }
    public long Passives { get; set; }
    public long Detractors { get; set; }
    public long CsatAnswers { get; set; }
    public long CsatPositive { get; set; }

    internal void AddNps(FactKind kind, long n)
    {
        switch (kind)
        {
            case FactKind.NpsPromoter: Promoters += n; break;
            case FactKind.NpsPassive: Passives += n; break;
            default: Detractors += n; break;
        }
    }

    public void Merge(SentimentCounts o)
    {
        Promoters += o.Promoters; Passives += o.Passives; Detractors += o.Detractors;
        CsatAnswers += o.CsatAnswers; CsatPositive += o.CsatPositive;
    }
}

public sealed class ArticleCounts
{
    public long Views { get; set; }
    public long Helpful { get; set; }
    public long NotHelpful { get; set; }
}
