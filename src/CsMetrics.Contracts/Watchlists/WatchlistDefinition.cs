namespace CsMetrics.Contracts.Watchlists;

/// <summary>A saved filter (every field optional, AND-ed) over the account index.</summary>
[GenerateSerializer, Immutable, Alias("csm.WatchlistFilter")]
public sealed record WatchlistFilter(
    string[]? Bands = null,
    double? MinScore = null,
    double? MaxScore = null,
    string? Owner = null,
    string? Segment = null,
    double? MinDrop7d = null,
    int? RenewalWithinDays = null,
    int? MinDaysSilent = null);

/// <summary>A named watchlist: filter, sort (<c>score</c>, <c>drop7d</c> or <c>renewal</c>) and limit.</summary>
[GenerateSerializer, Immutable, Alias("csm.WatchlistDefinition")]
public sealed record WatchlistDefinition(string Id, string Name, WatchlistFilter Filter, string Sort, int Limit, bool BuiltIn)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;
}

/// <summary>One row of a watchlist, as clients display it.</summary>
[GenerateSerializer, Immutable, Alias("csm.WatchlistEntry")]
public sealed record WatchlistEntry(
    string AccountId,
    string? Name,
    string? Owner,
    string? Segment,
    double? Score,
    string? Band,
    double? Delta7d,
    DateTimeOffset? UpdatedAt,
    string? Reason,
    DateOnly? RenewalDate,
    double[] Trend,
    bool Overridden = false,
    double? Delta30d = null)
{
    /// <summary>Equality of everything a client shows (records compare arrays by reference).</summary>
    public bool LooksSame(WatchlistEntry other) =>
        AccountId == other.AccountId && Name == other.Name && Owner == other.Owner && Segment == other.Segment
        && Score == other.Score && Band == other.Band && Delta7d == other.Delta7d && UpdatedAt == other.UpdatedAt
        && Reason == other.Reason && RenewalDate == other.RenewalDate && Overridden == other.Overridden && Delta30d == other.Delta30d
        && Trend.AsSpan().SequenceEqual(other.Trend);
}

[GenerateSerializer, Immutable, Alias("csm.WatchlistSnapshot")]
public sealed record WatchlistSnapshot(string WatchlistId, string Name, long Version, WatchlistEntry[] Entries);

[GenerateSerializer, Immutable, Alias("csm.WatchlistChange")]
/// <remarks>
/// <see cref="PreviousOwner"/> (the row's owner before this change, if it was shown) lets a node
/// route the change to hub clients restricted to one owner; it is not sent to clients.
/// </remarks>
public sealed record WatchlistChange(
    string Op,
    string AccountId,
    WatchlistEntry? Entry,
    [property: System.Text.Json.Serialization.JsonIgnore] string? PreviousOwner = null);

/// <summary>One push: <see cref="Version"/> is exactly one more than the previous push of this watchlist.</summary>
[GenerateSerializer, Immutable, Alias("csm.WatchlistDelta")]
public sealed record WatchlistDelta(string WatchlistId, long Version, WatchlistChange[] Changes);
