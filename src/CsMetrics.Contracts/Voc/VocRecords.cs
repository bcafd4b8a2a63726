namespace CsMetrics.Contracts.Voc;

/// <summary>A theme as configured: a name and its keywords (docs/voc.md).</summary>
[GenerateSerializer, Immutable, Alias("csm.VocThemeDefinition")]
public sealed record VocThemeDefinition(string Name, string[] Keywords);

/// <summary>The configured themes; <see cref="Version"/> rises with each change.</summary>
[GenerateSerializer, Immutable, Alias("csm.VocThemeSet")]
public sealed record VocThemeSet(int Version, VocThemeDefinition[] Themes);

/// <summary>One survey comment as kept for the voice of the customer (an NPS answer with a comment).</summary>
[GenerateSerializer, Immutable, Alias("csm.VocComment")]
public sealed record VocComment(string SignalId, string AccountId, string? Segment, string? Owner, int Score, string Category, DateTimeOffset At, string Text);

/// <summary>Which comments: [From, To), optionally one segment, one owner (restricted keys), one category.</summary>
[GenerateSerializer, Immutable, Alias("csm.VocFilter")]
public sealed record VocFilter(DateTimeOffset From, DateTimeOffset To, string? Segment, string? Owner, string? Category);

/// <summary>Comments per category in one theme.</summary>
[GenerateSerializer, Immutable, Alias("csm.VocThemeCounts")]
public sealed record VocThemeCounts(string Theme, int Detractors, int Passives, int Promoters)
{
    public int Total => Detractors + Passives + Promoters;
}

[GenerateSerializer, Immutable, Alias("csm.VocCounts")]
public sealed record VocCounts(int Comments, VocThemeCounts[] Themes);

[GenerateSerializer, Immutable, Alias("csm.VocCommentPage")]
public sealed record VocCommentPage(int Total, VocComment[] Comments);

/// <summary>The configured themes (one grain, key 0). Defaults until an admin sets them.</summary>
[Alias("csm.IVocThemes")]
public interface IVocThemes : IGrainWithIntegerKey
{
    [Alias("Get"), Orleans.Concurrency.ReadOnly]
    Task<VocThemeSet> Get();

    [Alias("Set")]
    Task<VocThemeSet> Set(VocThemeDefinition[] themes);
}

/// <summary>
/// The comments of one calendar month (key "yyyy-MM", by the answer's time), kept as signals arrive
/// and grouped into themes at query time, so changing the keywords re-groups every kept comment.
/// </summary>
[Alias("csm.IVocCommentStore")]
public interface IVocCommentStore : IGrainWithStringKey
{
    /// <summary>One-way from the account grain; a comment already kept (same signal id) is ignored.</summary>
    [Alias("Add"), Orleans.Concurrency.OneWay]
    Task Add(VocComment comment);

    /// <remarks>Each comment's themes are matched once per <see cref="VocThemeSet.Version"/> and kept in memory.</remarks>
    [Alias("Count")]
    Task<VocCounts> Count(VocThemeSet themes, VocFilter filter);

    /// <summary>The newest <paramref name="take"/> comments of <paramref name="theme"/> that pass the filter, and how many pass in all.</summary>
    [Alias("Comments")]
    Task<VocCommentPage> Comments(VocThemeSet themes, string theme, VocFilter filter, int take);

    [Alias("Checkpoint")]
    Task Checkpoint();
}

public static class VocMonths
{
    public static string KeyOf(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The month keys covering [from, to).</summary>
    public static IEnumerable<string> Between(DateTimeOffset from, DateTimeOffset to)
    {
        var month = new DateTime(from.UtcDateTime.Year, from.UtcDateTime.Month, 1, 0, 0, 0, DateTimeKind.Utc);
        while (month < to.UtcDateTime)
        {
            yield return month.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);
            month = month.AddMonths(1);
        }
    }
}
