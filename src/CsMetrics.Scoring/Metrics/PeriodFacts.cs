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

    /// <summary>Sums one account's facts into this period; <paramref name="segment"/> keys the per-segment sentiment.</summary>
    public void Add(Dictionary<FactKey, decimal> facts, string segment) => Add(FactTable.From(facts), segment);

    /// <summary>
    /// Adds only a table's NPS and CSAT counts to <see cref="BySegment"/> (the totals come from
    /// elsewhere): how the whole portfolio gets its per-segment split from the segment tables.
    /// </summary>
    public void AddSegmentSentiment(FactTable table, string segment)
    {
        var into = new PeriodFacts { From = From, To = To };
        foreach (var kind in SentimentKinds)
        {
            into.AddKind(table, kind, segment);
        }
        SegmentOf(segment).Merge(into.SegmentOf(segment));
    }

    private static readonly FactKind[] SentimentKinds = [FactKind.NpsPromoter, FactKind.NpsPassive, FactKind.NpsDetractor, FactKind.CsatAnswer, FactKind.CsatPositive];

    /// <summary>
    /// Sums a table of facts (one account's, or a shard's group) into this period. This is where
    /// each <see cref="FactKind"/>'s reading rule lives (docs/metrics.md): most count when their
    /// day is in the period; the Aux tests make distinct counts, cohorts and superseded answers
    /// exact. <paramref name="segment"/> null: the table spans segments, so no per-segment split.
    /// </summary>
    public void Add(FactTable table, string? segment)
    {
        foreach (var kind in Enum.GetValues<FactKind>())
        {
            AddKind(table, kind, segment);
        }
    }

    private void AddKind(FactTable table, FactKind kind, string? segment)
    {
        int from = From, to = To;
        int week = to - 6, month = to - 29;
        // Histogram kinds (minutes, days) first count into a flat array: a year of buckets holds
        // millions of (value, count) entries at portfolio scale, and array adds are cheap.
        long[]? histogram = null;
        foreach (var ((day, label), b) in table.Of(kind))
        {
            var k = (Kind: kind, Label: label);
            bool inPeriod = day >= from && day <= to;
            switch (k.Kind)
            {
                case FactKind.Account: Accounts += L(b.Total); break;
                case FactKind.Seats: Seats += L(b.Total); break;
                case FactKind.NpsPromoter or FactKind.NpsPassive or FactKind.NpsDetractor:
                    // The respondent's latest answer in the period: answered again only after `to`.
                    if (inPeriod && L(b.Above(to)) is var answers and not 0)
                    {
                        Tenure(k.Label).AddNps(k.Kind, answers);
                        if (segment is not null)
                        {
                            SegmentOf(segment).AddNps(k.Kind, answers);
                        }
                    }
                    break;
                case FactKind.CsatAnswer:
                    if (inPeriod)
                    {
                        Tenure(k.Label).CsatAnswers += L(b.Total);
                        if (segment is not null)
                        {
                            SegmentOf(segment).CsatAnswers += L(b.Total);
                        }
                    }
                    break;
                case FactKind.CsatPositive:
                    if (inPeriod)
                    {
                        Tenure(k.Label).CsatPositive += L(b.Total);
                        if (segment is not null)
                        {
                            SegmentOf(segment).CsatPositive += L(b.Total);
                        }
                    }
                    break;
                case FactKind.CesAnswer: if (inPeriod) { CesAnswers += L(b.Total); } break;
                case FactKind.CesSum: if (inPeriod) { CesSum += L(b.Total); } break;
                case FactKind.CesHigh: if (inPeriod) { CesHigh += L(b.Total); } break;
                case FactKind.TicketOpened: if (inPeriod) { TicketsOpened += L(b.Total); } break;
                case FactKind.TicketTag: if (inPeriod) { Bump(Tags, k.Label!, L(b.Total)); } break;
                case FactKind.FirstResponse:
                    if (inPeriod)
                    {
                        AddHistogram(b, ref histogram, FirstResponseMinutes);
                    }
                    break;
                case FactKind.TicketSolved: if (inPeriod) { TicketsSolved += L(b.Total); } break;
                case FactKind.TicketSolvedKnownReplies: if (inPeriod) { TicketsSolvedKnownReplies += L(b.Total); } break;
                case FactKind.TicketSolvedFirstContact: if (inPeriod) { TicketsSolvedFirstContact += L(b.Total); } break;
                case FactKind.TicketReopened: if (inPeriod) { TicketsReopened += L(b.Total); } break;
                case FactKind.UsageEvents: if (inPeriod) { UsageEvents += L(b.Total); } break;
                case FactKind.UserActive:
                    if (inPeriod)
                    {
                        UserDays += L(b.Total);
                        // A user counts once: on their first active day in the window.
                        long first = L(b.Below(from));
                        ActiveUsers += first;
                        if (k.Label is not null)
                        {
                            ActiveUsersOfSeatedAccounts += first;
                        }
                    }
                    // WAU and MAU end at `to` whatever the period's length.
                    if (day <= to && day >= week)
                    {
                        Wau += L(b.Below(week));
                    }
                    if (day <= to && day >= month)
                    {
                        Mau += L(b.Below(month));
                    }
                    break;
                case FactKind.FeatureActive: if (inPeriod) { FeatureBreadthSum += L(b.Below(from)); } break;
                case FactKind.FeatureUserActive: if (inPeriod) { Bump(FeatureUsers, k.Label!, L(b.Below(from))); } break;
                case FactKind.AccountActive: if (inPeriod) { AccountsWithUsage += L(b.Below(from)); } break;
                case FactKind.TimeToValue:
                    if (inPeriod)
                    {
                        AddHistogram(b, ref histogram, TimeToValueDays);
                    }
                    break;
                case FactKind.MrrDelta:
                    if (day < from)
                    {
                        MrrStart += b.Total;
                    }
                    if (day <= to)
                    {
                        MrrEnd += b.Total;
                    }
                    break;
                case FactKind.PayingDelta:
                    if (day < from)
                    {
                        PayingStart += L(b.Total);
                    }
                    if (day <= to)
                    {
                        PayingEnd += L(b.Total);
                    }
                    break;
                case FactKind.NewMrr: if (inPeriod) { NewMrr += b.Total; } break;
                case FactKind.ReactivationMrr: if (inPeriod) { ReactivationMrr += b.Total; } break;
                // Aux is the day the paying stint began: before `from` means paying at the start (the cohort).
                case FactKind.ExpansionMrr:
                    if (inPeriod)
                    {
                        ExpansionMrr += b.Total;
                        CohortExpansionMrr += b.Below(from);
                    }
                    break;
                case FactKind.ContractionMrr:
                    if (inPeriod)
                    {
                        ContractionMrr += b.Total;
                        CohortContractionMrr += b.Below(from);
                    }
                    break;
                case FactKind.ChurnMrr:
                    if (inPeriod)
                    {
                        ChurnMrr += b.Total;
                        CohortChurnMrr += b.Below(from);
                    }
                    break;
                case FactKind.ChurnLogo: if (inPeriod) { CohortChurnedAccounts += L(b.Below(from)); } break;
                case FactKind.Renewal:
                    if (inPeriod)
                    {
                        RenewalsDue += L(b.Total);
                        RenewalsKept += L(b.Above(0));
                    }
                    break;
                case FactKind.Touchpoint:
                    if (inPeriod)
                    {
                        Touchpoints += L(b.Total);
                        Bump(TouchpointKinds, k.Label!, L(b.Total));
                    }
                    break;
                case FactKind.TouchpointDay:
                    // The latest touchpoint at or before `to` is the one whose next is after `to`.
                    if (day <= to && L(b.Above(to)) is var latest and not 0)
                    {
                        DaysSinceLastTouchpointSum += (to - day) * latest;
                        AccountsWithTouchpoint += latest;
                    }
                    break;
                case FactKind.ArticleView: if (inPeriod) { ArticleOf(k.Label!).Views += L(b.Total); } break;
                case FactKind.ArticleHelpful: if (inPeriod) { ArticleOf(k.Label!).Helpful += L(b.Total); } break;
                case FactKind.ArticleNotHelpful: if (inPeriod) { ArticleOf(k.Label!).NotHelpful += L(b.Total); } break;
                case FactKind.SelfServiceUser: if (inPeriod) { SelfServiceUsers += L(b.Below(from)); } break;
            }
        }
        if (histogram is not null)
        {
            var target = kind == FactKind.FirstResponse ? FirstResponseMinutes : TimeToValueDays;
            for (int value = 0; value < histogram.Length; value++)
            {
                if (histogram[value] != 0)
                {
                    Bump(target, value, histogram[value]);
                }
            }
        }
    }

    private const int HistogramArrayLength = 10_080; // a week of minutes; larger values go straight to the map

    private static void AddHistogram(FactBucket bucket, ref long[]? histogram, Dictionary<int, long> overflow)
    {
        histogram ??= new long[HistogramArrayLength];
        foreach (var (value, n) in bucket.Entries())
        {
            if (value >= 0 && value < HistogramArrayLength)
            {
                histogram[value] += L(n);
            }
            else
            {
                Bump(overflow, value, L(n));
            }
        }
    }

    private static long L(decimal v) => (long)v;

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
