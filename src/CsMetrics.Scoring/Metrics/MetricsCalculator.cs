namespace CsMetrics.Scoring.Metrics;

/// <summary>
/// The formulas of the metrics catalog (docs/metrics.md), applied to a period's summed facts.
/// One code path for an account and for the portfolio: the portfolio is the same formulas over
/// the sum of every account's facts.
/// </summary>
public static class MetricsCalculator
{
    public const int ListLimit = 20;
    /// <summary>Average days per month (365.25 / 12): turns a period's rate into a monthly one.</summary>
    public const double DaysPerMonth = 30.4375;

    public const string Leading = "leading";
    public const string Lagging = "lagging";

    /// <summary>Whether each metric leads (usage, engagement, sentiment, support) or lags (churn, retention, revenue).</summary>
    public static readonly IReadOnlyDictionary<string, string> Indicators = BuildIndicators();

    private static Dictionary<string, string> BuildIndicators()
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var m in new[]
        {
            "nps", "npsPromoters", "npsPassives", "npsDetractors", "npsResponses", "csat", "csatAnswers", "csatPositive", "ces", "cesAnswers", "cesHighRate",
            "ticketsOpened", "ticketsSolved", "firstResponseMedianMinutes", "firstResponseP90Minutes", "fcrRate", "reopenRate", "ticketsPerActiveUser", "topTags",
            "dau", "wau", "mau", "activeUsers", "stickiness", "activeUsersPerSeat", "usageEvents", "featureAdoption", "breadth", "timeToValueMedianDays",
            "touchpoints", "touchpointsPerAccountPerMonth", "daysSinceLastTouchpoint",
            "articleViews", "helpfulnessRate", "selfServiceUsers", "selfServiceRatio",
        })
        {
            map[m] = Leading;
        }
        foreach (var m in new[]
        {
            "mrrStart", "mrrEnd", "newMrr", "expansionMrr", "contractionMrr", "churnedMrr", "reactivationMrr",
            "netMrrChurn", "grossMrrChurn", "grr", "nrr", "payingAccountsStart", "churnedAccounts", "logoChurn", "logoRetention",
            "renewalRate", "averageMrrPerAccount", "monthlyLogoChurn", "clv",
        })
        {
            map[m] = Lagging;
        }
        return map;
    }

    public static MetricsReport Compute(PeriodFacts f, string? accountId, string? segment, string? owner)
    {
        int days = f.To - f.From + 1;
        var report = new MetricsReport(
            accountId,
            DateOnly.FromDayNumber(f.From),
            DateOnly.FromDayNumber(f.To),
            days,
            segment,
            owner,
            f.Accounts,
            Sentiment(f),
            Support(f),
            Engagement(f, days),
            Revenue(f, days),
            Touchpoints(f, days),
            SelfService(f),
            Indicators);
        return report;
    }

    /// <summary>(promoters − detractors) / responses × 100; null without responses.</summary>
    public static double? Nps(long promoters, long passives, long detractors)
    {
        long responses = promoters + passives + detractors;
        return responses == 0 ? null : (promoters - detractors) * 100.0 / responses;
    }

    /// <summary>Share of a quantity; null when the denominator is 0 (undefined, not 0).</summary>
    public static double? Ratio(double numerator, double denominator) => denominator == 0 ? null : numerator / denominator;

    private static NpsCsat Split(SentimentCounts s) => new(
        Nps(s.Promoters, s.Passives, s.Detractors), s.Promoters, s.Passives, s.Detractors, s.Promoters + s.Passives + s.Detractors,
        Percent(s.CsatPositive, s.CsatAnswers), s.CsatAnswers, s.CsatPositive);

    private static double? Percent(long part, long whole) => whole == 0 ? null : part * 100.0 / whole;

    private static SentimentMetrics Sentiment(PeriodFacts f)
    {
        var all = new SentimentCounts();
        all.Merge(f.New);
        all.Merge(f.Older);
        var segments = f.BySegment
            .Where(kv => kv.Value.Promoters + kv.Value.Passives + kv.Value.Detractors + kv.Value.CsatAnswers > 0)
            .OrderByDescending(kv => kv.Value.Promoters + kv.Value.Passives + kv.Value.Detractors).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Take(ListLimit)
            .Select(kv =>
            {
                var s = Split(kv.Value);
                return new SegmentSentiment(kv.Key, s.Nps, s.NpsPromoters, s.NpsPassives, s.NpsDetractors, s.NpsResponses, s.Csat, s.CsatAnswers, s.CsatPositive);
            })
            .ToArray();
        var total = Split(all);
        return new SentimentMetrics(
            total.Nps, total.NpsPromoters, total.NpsPassives, total.NpsDetractors, total.NpsResponses,
            total.Csat, total.CsatAnswers, total.CsatPositive,
            f.CesAnswers == 0 ? null : f.CesSum / (double)f.CesAnswers, f.CesAnswers, Ratio(f.CesHigh, f.CesAnswers),
            new TenureSplit(Split(f.New), Split(f.Older)),
            segments);
    }

    private static SupportMetrics Support(PeriodFacts f)
    {
        long samples = f.FirstResponseMinutes.Values.Sum();
        return new SupportMetrics(
            f.TicketsOpened, f.TicketsSolved,
            Median(f.FirstResponseMinutes), Percentile(f.FirstResponseMinutes, 0.9), samples,
            Ratio(f.TicketsSolvedFirstContact, f.TicketsSolvedKnownReplies),
            Ratio(f.TicketsReopened, f.TicketsSolved),
            Ratio(f.TicketsOpened, f.ActiveUsers),
            Top(f.Tags).Select(kv => new TagCount(kv.Key, kv.Value, Ratio(kv.Value, f.TicketsOpened))).ToArray());
    }

    private static EngagementMetrics Engagement(PeriodFacts f, int days)
    {
        double dau = f.UserDays / (double)days;
        return new EngagementMetrics(
            dau, f.Wau, f.Mau, f.ActiveUsers, Ratio(dau, f.Mau),
            f.Seats, Ratio(f.ActiveUsersOfSeatedAccounts, f.Seats), f.UsageEvents,
            Top(f.FeatureUsers).Select(kv => new FeatureAdoption(kv.Key, kv.Value, Ratio(kv.Value, f.ActiveUsers))).ToArray(),
            Ratio(f.FeatureBreadthSum, f.AccountsWithUsage),
            Median(f.TimeToValueDays), f.TimeToValueDays.Values.Sum());
    }

    private static RevenueMetrics Revenue(PeriodFacts f, int days)
    {
        double start = (double)f.MrrStart;
        double? logoChurn = Ratio(f.CohortChurnedAccounts, f.PayingStart);
        double? monthlyLogoChurn = logoChurn * DaysPerMonth / days;
        double? averageMrr = Ratio((double)f.MrrEnd, f.PayingEnd);
        double? grr = Ratio((double)(f.MrrStart - f.CohortContractionMrr - f.CohortChurnMrr), start);
        return new RevenueMetrics(
            f.MrrStart, f.MrrEnd,
            f.NewMrr, f.ExpansionMrr, f.ContractionMrr, f.ChurnMrr, f.ReactivationMrr,
            Ratio((double)(f.ChurnMrr + f.ContractionMrr - f.ExpansionMrr - f.ReactivationMrr), start),
            Ratio((double)(f.ChurnMrr + f.ContractionMrr), start),
            grr is { } g ? Math.Max(0, g) : null,
            Ratio((double)(f.MrrStart + f.CohortExpansionMrr - f.CohortContractionMrr - f.CohortChurnMrr), start),
            f.PayingStart, f.PayingEnd, f.CohortChurnedAccounts, logoChurn, 1 - logoChurn,
            f.RenewalsDue, f.RenewalsKept, Ratio(f.RenewalsKept, f.RenewalsDue),
            averageMrr, monthlyLogoChurn,
            // Zero-churn guard: no churn means an unbounded lifetime, so CLV is undefined (null), never infinity.
            averageMrr is { } avg && monthlyLogoChurn is > 0 ? avg / monthlyLogoChurn.Value : null);
    }

    private static TouchpointMetrics Touchpoints(PeriodFacts f, int days) => new(
        f.Touchpoints,
        Ratio(f.Touchpoints, f.Accounts * (days / DaysPerMonth)),
        Ratio(f.DaysSinceLastTouchpointSum, f.AccountsWithTouchpoint),
        Top(f.TouchpointKinds).Select(kv => new KindCount(kv.Key, kv.Value)).ToArray());

    private static SelfServiceMetrics SelfService(PeriodFacts f)
    {
        long views = 0, helpful = 0, notHelpful = 0;
        foreach (var a in f.Articles.Values)
        {
            views += a.Views;
            helpful += a.Helpful;
            notHelpful += a.NotHelpful;
        }
        var articles = f.Articles
            .OrderByDescending(kv => kv.Value.Views + kv.Value.Helpful + kv.Value.NotHelpful).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Take(ListLimit)
            .Select(kv => new ArticleMetrics(kv.Key, kv.Value.Views, kv.Value.Helpful, kv.Value.NotHelpful, Ratio(kv.Value.Helpful, kv.Value.Helpful + kv.Value.NotHelpful)))
            .ToArray();
        return new SelfServiceMetrics(views, helpful, notHelpful, Ratio(helpful, helpful + notHelpful),
            f.SelfServiceUsers, Ratio(f.SelfServiceUsers, f.TicketsOpened), articles);
    }

    private static IEnumerable<KeyValuePair<string, long>> Top(Dictionary<string, long> counts) =>
        counts.Where(kv => kv.Value > 0).OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(ListLimit);

    /// <summary>Median of a histogram (value → count): the middle value, or the mean of the two middle ones.</summary>
    public static double? Median(Dictionary<int, long> histogram)
    {
        long n = histogram.Values.Sum();
        if (n == 0)
        {
            return null;
        }
        return n % 2 == 1 ? Nth(histogram, n / 2) : (Nth(histogram, n / 2 - 1) + Nth(histogram, n / 2)) / 2.0;
    }

    /// <summary>Nearest-rank percentile: the value at rank ⌈p·n⌉.</summary>
    public static double? Percentile(Dictionary<int, long> histogram, double p)
    {
        long n = histogram.Values.Sum();
        if (n == 0)
        {
            return null;
        }
        long rank = Math.Max(1, (long)Math.Ceiling(p * n));
        return Nth(histogram, rank - 1);
    }

    /// <summary>The value at zero-based position <paramref name="index"/> of the sorted multiset.</summary>
    private static double Nth(Dictionary<int, long> histogram, long index)
    {
        long seen = 0;
        foreach (var (value, count) in histogram.OrderBy(kv => kv.Key))
        {
            seen += count;
            if (index < seen)
            {
                return value;
            }
        }
        throw new InvalidOperationException("index beyond the histogram");
    }
}
