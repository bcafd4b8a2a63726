using CsMetrics.Contracts.Index;

namespace CsMetrics.Contracts.Watchlists;

/// <summary>Matching, ordering and display of watchlist entries: one place, used by index shards and watchlist grains.</summary>
public static class WatchlistRules
{
    public static readonly string[] Sorts = ["score", "drop7d", "renewal"];

    public static readonly WatchlistDefinition[] BuiltIns =
    [
        new("at-risk", "At risk", new WatchlistFilter(Bands: ["red"]), "score", WatchlistDefinition.DefaultLimit, BuiltIn: true),
        new("dropping", "Dropping", new WatchlistFilter(MinDrop7d: 10), "drop7d", WatchlistDefinition.DefaultLimit, BuiltIn: true),
        new("renewals-90d", "Renewals in 90 days", new WatchlistFilter(Bands: ["red", "yellow"], RenewalWithinDays: 90), "renewal", WatchlistDefinition.DefaultLimit, BuiltIn: true),
        new("silent", "Silent (no usage for 7+ days)", new WatchlistFilter(MinDaysSilent: 7), "score", WatchlistDefinition.DefaultLimit, BuiltIn: true),
    ];

    public static bool Matches(WatchlistFilter f, IndexEntry e, DateOnly today)
    {
        if (f.Bands is { Length: > 0 } bands && (e.Band is null || Array.IndexOf(bands, e.Band) < 0))
        {
            return false;
        }
        if (f.MinScore is { } min && (e.Score is not { } s1 || s1 < min))
        {
            return false;
        }
        if (f.MaxScore is { } max && (e.Score is not { } s2 || s2 > max))
        {
            return false;
        }
        if (f.Owner is { } owner && e.Owner != owner)
        {
            return false;
        }
        if (f.Segment is { } segment && e.Segment != segment)
        {
            return false;
        }
        if (f.MinDrop7d is { } drop && (e.Delta7d is not { } d || d > -drop))
        {
            return false;
        }
        if (f.RenewalWithinDays is { } days)
        {
            if (e.RenewalDate is not { } renewal)
            {
                return false;
            }
            int until = renewal.DayNumber - today.DayNumber;
            if (until < 0 || until > days)
            {
                return false;
            }
        }
        if (f.MinDaysSilent is { } silent)
        {
            // Accounts that never sent usage have no silence to measure: not "silent", just new.
            if (e.LastUsageAt is not { } last || today.DayNumber - DateOnly.FromDateTime(last.UtcDateTime).DayNumber < silent)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Whether membership can change with the date alone (the sweep re-checks those).</summary>
    public static bool DependsOnDate(WatchlistFilter f) => f.RenewalWithinDays is not null || f.MinDaysSilent is not null;

    public static WatchlistEntry ToEntry(IndexEntry e) =>
        new(e.AccountId, e.Name, e.Owner, e.Segment, e.Score, e.Band, e.Delta7d, e.UpdatedAt, e.Reason, e.RenewalDate, e.Trend, e.Overridden, e.Delta30d);

    public static IComparer<WatchlistEntry> ComparerFor(string sort) => sort switch
    {
        "drop7d" => ByDrop.Instance,
        "renewal" => ByRenewal.Instance,
        _ => ByScore.Instance,
    };

    /// <summary>Worst score first; unscored last.</summary>
    private sealed class ByScore : IComparer<WatchlistEntry>
    {
        public static readonly ByScore Instance = new();

        public int Compare(WatchlistEntry? x, WatchlistEntry? y)
        {
            int c = (x!.Score ?? double.MaxValue).CompareTo(y!.Score ?? double.MaxValue);
            return c != 0 ? c : string.CompareOrdinal(x.AccountId, y.AccountId);
        }
    }

    /// <summary>Biggest 7-day fall first.</summary>
    private sealed class ByDrop : IComparer<WatchlistEntry>
    {
        public static readonly ByDrop Instance = new();

        public int Compare(WatchlistEntry? x, WatchlistEntry? y)
        {
            int c = (x!.Delta7d ?? 0).CompareTo(y!.Delta7d ?? 0);
            if (c == 0)
            {
                c = (x.Score ?? double.MaxValue).CompareTo(y.Score ?? double.MaxValue);
            }
            return c != 0 ? c : string.CompareOrdinal(x.AccountId, y.AccountId);
        }
    }

    /// <summary>Nearest renewal first.</summary>
    private sealed class ByRenewal : IComparer<WatchlistEntry>
    {
        public static readonly ByRenewal Instance = new();

        public int Compare(WatchlistEntry? x, WatchlistEntry? y)
        {
            int c = (x!.RenewalDate ?? DateOnly.MaxValue).CompareTo(y!.RenewalDate ?? DateOnly.MaxValue);
            if (c == 0)
            {
                c = (x.Score ?? double.MaxValue).CompareTo(y.Score ?? double.MaxValue);
            }
            return c != 0 ? c : string.CompareOrdinal(x.AccountId, y.AccountId);
        }
    }
}
