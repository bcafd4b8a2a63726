using CsMetrics.Contracts.Index;
using CsMetrics.Contracts.Watchlists;

namespace CsMetrics.Contracts.Playbooks;

/// <summary>Trigger conditions of playbooks, evaluated on one listing entry.</summary>
public static class PlaybookRules
{
    public const string BandFalls = "band_falls";
    public const string ScoreDrop = "score_drop";
    public const string EntersWatchlist = "enters_watchlist";
    public const string NoUsage = "no_usage";
    public const string NpsDetractor = "nps_detractor";
    public const string UrgentUnanswered = "urgent_unanswered";

    /// <summary>How long a detractor answer keeps its episode going when <c>days</c> is not given.</summary>
    public const int DefaultDetractorDays = 30;

    public static readonly string[] TriggerTypes = [BandFalls, ScoreDrop, EntersWatchlist, NoUsage, NpsDetractor, UrgentUnanswered];

    /// <summary>Triggers whose condition starts or ends with time alone: the sweep's tick re-evaluates them.</summary>
    public static bool IsTimed(PlaybookTrigger t) => t.Type is NpsDetractor or UrgentUnanswered;
    public static readonly string[] ActionTypes = ["webhook", "slack"];

    /// <summary>red 0, yellow 1, green 2; anything else (unscored) -1.</summary>
    public static int Rank(string? band) => band switch
    {
        "red" => 0,
        "yellow" => 1,
        "green" => 2,
        _ => -1,
    };

    /// <summary>Whether the trigger's condition holds for <paramref name="e"/> now.</summary>
    public static bool Holds(PlaybookTrigger t, IndexEntry e, DateTimeOffset now, IReadOnlyList<WatchlistDefinition> watchlists)
    {
        switch (t.Type)
        {
            case BandFalls:
                return e.Band is not null && e.Band == t.To;
            case ScoreDrop:
                return t.Points is { } points && e.Delta7d is { } d && d <= -points;
            case EntersWatchlist:
                foreach (var w in watchlists)
                {
                    if (w.Id == t.WatchlistId)
                    {
                        return WatchlistRules.Matches(w.Filter, e, DateOnly.FromDateTime(now.UtcDateTime));
                    }
                }
                return false;
            case NoUsage:
                return t.Days is { } days && e.LastUsageAt is { } last && now - last >= TimeSpan.FromDays(days);
            case NpsDetractor:
                return e.LatestDetractorAt is { } answered && now - answered < TimeSpan.FromDays(t.Days ?? DefaultDetractorDays);
            case UrgentUnanswered:
                return t.Hours is { } hours && e.UrgentUnansweredSince is { } opened && now - opened >= TimeSpan.FromHours(hours);
            default:
                return false;
        }
    }

    /// <summary>
    /// Whether a condition that just started may fire: <c>band_falls</c> with <c>from</c> needs the
    /// previous band to be exactly <c>from</c>; without it, any previous band (or none) other than <c>to</c>.
    /// </summary>
    public static bool StartCounts(PlaybookTrigger t, IndexEntry? old) =>
        t.Type != BandFalls || t.From is null || old?.Band == t.From;

    /// <summary>Human words for a trigger, for Slack messages.</summary>
    public static string Describe(PlaybookTrigger t) => t.Type switch
    {
        BandFalls => t.From is null ? $"band fell to {t.To}" : $"band fell from {t.From} to {t.To}",
        ScoreDrop => $"score fell {t.Points:0.#} points or more within 7 days",
        EntersWatchlist => $"entered watchlist {t.WatchlistId}",
        NoUsage => $"no usage for {t.Days} days",
        NpsDetractor => "a detractor NPS answer (0–6)",
        UrgentUnanswered => $"an urgent ticket without first response for {t.Hours} hours",
        _ => t.Type,
    };
}
