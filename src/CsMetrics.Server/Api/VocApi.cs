using System.Security.Claims;
using System.Text.RegularExpressions;
using CsMetrics.Contracts.Voc;
using CsMetrics.Scoring.Voc;
using CsMetrics.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CsMetrics.Server.Hosting;

public sealed record VocThemesBody(VocThemeDefinition[]? Themes);

public sealed record VocThemeCountsResponse(string Theme, int Detractors, int Passives, int Promoters, int Total);

public sealed record VocResponse(DateTimeOffset From, DateTimeOffset To, string? Segment, int ThemesVersion, int Comments, VocThemeCountsResponse[] Themes);

public sealed record VocCommentResponse(string AccountId, int Score, string Category, DateTimeOffset At, string Comment, string SignalId);

public sealed record VocCommentsResponse(string Theme, string? Category, DateTimeOffset From, DateTimeOffset To, int Total, int Offset, int Limit, VocCommentResponse[] Comments);

/// <summary>Voice of the customer: NPS comments grouped into configurable keyword themes (docs/voc.md).</summary>
public static partial class VocApi
{
    /// <summary>At most 50 (a store keeps each comment's themes as a 64-bit mask, one bit kept for "other").</summary>
    public const int MaxThemes = 50;
    public const int MaxKeywords = 100;
    public const int MaxKeywordLength = 60;
    public const int MaxPageSize = 200;
    /// <summary>The longest range asked at once: aggregates keep five years, so a little more than that.</summary>
    public static readonly TimeSpan MaxRange = TimeSpan.FromDays(6 * 366);

    public static IEndpointRouteBuilder MapVocApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/voc").WithTags("Voice of the customer");
        group.MapGet("/themes", async (IGrainFactory grains) => TypedResults.Ok(await grains.GetGrain<IVocThemes>(0).Get()))
            .RequireAuthorization(Policies.Admin).WithSummary("The configured themes and their keywords.");
        group.MapPut("/themes", SetThemesAsync).RequireAuthorization(Policies.Admin)
            .WithSummary("Replace the themes; kept comments are re-grouped at once (matching happens at query time).");
        group.MapGet("/", CountsAsync).RequireAuthorization(Policies.Read)
            .WithSummary("NPS comments in [from, to) per theme, split into detractors, passives and promoters.");
        group.MapGet("/themes/{theme}/comments", CommentsAsync).RequireAuthorization(Policies.Read)
            .WithSummary("The comments of one theme (or \"other\"), newest first, paged.");
        return app;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,39}$")]
    private static partial Regex ThemeName();

    private static async Task<Results<Ok<VocThemeSet>, ProblemHttpResult>> SetThemesAsync(VocThemesBody? body, IGrainFactory grains)
    {
        var errors = new List<string>();
        var themes = body?.Themes;
        if (themes is null)
        {
            errors.Add("body: {\"themes\": [{\"name\", \"keywords\": [...]}]} is required");
        }
        else
        {
            if (themes.Length > MaxThemes)
            {
                errors.Add($"at most {MaxThemes} themes");
            }
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < themes.Length && errors.Count < 20; i++)
            {
                var t = themes[i];
                if (t?.Name is not { } name || !ThemeName().IsMatch(name) || name == ThemeMatcher.Other)
                {
                    errors.Add($"themes[{i}].name must be 1–40 of a-z, 0-9, '-', '_' (and not \"{ThemeMatcher.Other}\")");
                    continue;
                }
                if (!seen.Add(name))
                {
                    errors.Add($"themes[{i}].name \"{name}\" is used twice");
                }
                if (t.Keywords is not { Length: > 0 } keywords || keywords.Length > MaxKeywords)
                {
                    errors.Add($"themes[{i}].keywords must hold 1–{MaxKeywords} keywords");
                    continue;
                }
                for (int k = 0; k < keywords.Length; k++)
                {
                    if (keywords[k] is not { } word || word.Length > MaxKeywordLength || !ThemeMatcher.Words(word).Any() || word.Any(char.IsControl))
                    {
                        errors.Add($"themes[{i}].keywords[{k}] must be 1–{MaxKeywordLength} characters with at least one letter or digit");
                    }
                }
            }
        }
        if (errors.Count > 0)
        {
            return TypedResults.Problem(title: "Invalid themes", detail: string.Join("; ", errors), statusCode: 400);
        }
        // Stored as given (trimmed); matching lower-cases both sides.
        var clean = themes!.Select(t => new VocThemeDefinition(t.Name, t.Keywords.Select(k => k.Trim()).ToArray())).ToArray();
        return TypedResults.Ok(await grains.GetGrain<IVocThemes>(0).Set(clean));
    }

    private static async Task<Results<Ok<VocResponse>, ProblemHttpResult>> CountsAsync(
        IGrainFactory grains, TimeProvider time, ClaimsPrincipal user, DateTimeOffset? from, DateTimeOffset? to, string? segment)
    {
        if (Range(time, from, to) is not (var start, var end))
        {
            return RangeProblem();
        }
        var themes = await grains.GetGrain<IVocThemes>(0).Get();
        var filter = new VocFilter(start, end, segment, user.OwnerRestriction(), null);
        var months = await Task.WhenAll(VocMonths.Between(start, end)
            .Select(m => grains.GetGrain<IVocCommentStore>(m).Count(themes, filter)));
        // Configured order, "other" last.
        var order = themes.Themes.Select(t => t.Name).Append(ThemeMatcher.Other).ToArray();
        var rows = order.Select(name =>
        {
            int d = 0, p = 0, r = 0;
            foreach (var month in months)
            {
                var c = month.Themes.First(t => t.Theme == name);
                d += c.Detractors;
                p += c.Passives;
                r += c.Promoters;
            }
            return new VocThemeCountsResponse(name, d, p, r, d + p + r);
        }).ToArray();
        return TypedResults.Ok(new VocResponse(start, end, segment, themes.Version, months.Sum(m => m.Comments), rows));
    }

    private static async Task<Results<Ok<VocCommentsResponse>, ProblemHttpResult>> CommentsAsync(
        string theme, IGrainFactory grains, TimeProvider time, ClaimsPrincipal user,
        DateTimeOffset? from, DateTimeOffset? to, string? category, string? segment, int? offset, int? limit)
    {
        if (Range(time, from, to) is not (var start, var end))
        {
            return RangeProblem();
        }
        int take = limit ?? 50;
        int skip = offset ?? 0;
        if (take is < 1 or > MaxPageSize || skip is < 0 or > 10_000)
        {
            return TypedResults.Problem(title: "Invalid paging", detail: $"limit must be 1–{MaxPageSize}, offset 0–10000", statusCode: 400);
        }
        if (category is not null && !NpsCategory.All.Contains(category))
        {
            return TypedResults.Problem(title: "Invalid category", detail: "category must be detractor, passive or promoter", statusCode: 400);
        }
        var themes = await grains.GetGrain<IVocThemes>(0).Get();
        if (theme != ThemeMatcher.Other && !themes.Themes.Any(t => t.Name == theme))
        {
            return TypedResults.Problem(title: "Theme not found", detail: $"No theme '{theme}'; GET /api/v1/voc lists them.", statusCode: 404);
        }
        var filter = new VocFilter(start, end, segment, user.OwnerRestriction(), category);
        // Each month returns its newest offset+limit; merging those gives the page.
        var pages = await Task.WhenAll(VocMonths.Between(start, end)
            .Select(m => grains.GetGrain<IVocCommentStore>(m).Comments(themes, theme, filter, skip + take)));
        var comments = pages.SelectMany(p => p.Comments)
            .OrderByDescending(c => c.At).ThenBy(c => c.SignalId, StringComparer.Ordinal)
            .Skip(skip).Take(take)
            .Select(c => new VocCommentResponse(c.AccountId, c.Score, c.Category, c.At, c.Text, c.SignalId))
            .ToArray();
        return TypedResults.Ok(new VocCommentsResponse(theme, category, start, end, pages.Sum(p => p.Total), skip, take, comments));
    }

    /// <summary>[from, to): by default the 90 days up to now.</summary>
    private static (DateTimeOffset, DateTimeOffset)? Range(TimeProvider time, DateTimeOffset? from, DateTimeOffset? to)
    {
        var end = to ?? time.GetUtcNow();
        var start = from ?? end.AddDays(-90);
        return start < end && end - start <= MaxRange ? (start, end) : null;
    }

    private static ProblemHttpResult RangeProblem() =>
        TypedResults.Problem(title: "Invalid range", detail: "from must be before to, at most six years apart", statusCode: 400);
}
