using System.Text.Json.Nodes;
using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Index;
using CsMetrics.Contracts.Scorecards;
using CsMetrics.Grains.Scorecards;
using CsMetrics.Scoring.Scorecards;
using CsMetrics.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace CsMetrics.Server.Hosting;

public sealed record BandChange(string AccountId, double? Before, string? BandBefore, double? After, string? BandAfter);

public sealed record ScorecardPreviewResponse(int Accounts, Dictionary<string, int> BandsBefore, Dictionary<string, int> BandsAfter, int Changed, BandChange[] Changes);

public static class ScorecardApi
{
    public const int MaxScorecardBytes = 256 * 1024;
    public const int MaxChangesListed = 1000;

    public static IEndpointRouteBuilder MapScorecardApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/scorecard").WithTags("Scorecard");
        group.MapGet("/", (ScorecardRegistry registry) => Results.Content(Document(registry.SourceJson, registry.Current.Version), "application/json"))
            .RequireAuthorization(Policies.Read)
            .WithSummary("The active scorecard with its version.");
        group.MapPut("/", ActivateAsync).RequireAuthorization(Policies.Admin)
            .WithSummary("Validate a scorecard and activate it as the next version; every account is re-scored in the background.");
        group.MapPost("/preview", PreviewAsync).RequireAuthorization(Policies.Admin)
            .WithSummary("What a proposed scorecard would do: accounts per band and which accounts change band. Applies nothing.");
        group.MapGet("/rescore", async (IGrainFactory grains, ScorecardRegistry registry) =>
        {
            var p = await grains.GetGrain<IScorecardGrain>(0).GetProgress();
            return TypedResults.Ok(p ?? new RescoreProgress(registry.Current.Version, 0, 0, true));
        }).RequireAuthorization(Policies.Read).WithSummary("Progress of the background re-score: {version, done, total}.");
        return app;
    }

    /// <summary>The document as written (comments dropped) with its version, so what an admin reads is what they would PUT back.</summary>
    private static string Document(string json, int version)
    {
        var node = JsonNode.Parse(json, documentOptions: new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true })!.AsObject();
        node.Remove("version");
        node["version"] = version;
        return node.ToJsonString();
    }

    private static async Task<(string? Json, ProblemHttpResult? Problem)> ReadValidatedAsync(HttpRequest request, CancellationToken ct)
    {
        var body = await RequestBody.ReadAsync(request, MaxScorecardBytes, ct);
        if (body.TooLarge)
        {
            return (null, TypedResults.Problem(title: "Scorecard too large", statusCode: 413));
        }
        string json = System.Text.Encoding.UTF8.GetString(body.Bytes.Span);
        if (!ScorecardParser.TryParse(json, 0, out _, out var errors))
        {
            var problem = new ProblemDetails
            {
                Status = 400,
                Title = "Invalid scorecard",
                Detail = string.Join("; ", errors.Take(10).Select(e => e.ToString())),
            };
            problem.Extensions["errors"] = errors.Select(e => new { path = e.Path, message = e.Message }).ToArray();
            return (null, TypedResults.Problem(problem));
        }
        return (json, null);
    }

    private static async Task<Results<Ok<JsonObject>, ProblemHttpResult>> ActivateAsync(
        HttpRequest request, IGrainFactory grains, ScorecardRegistry registry, ScorecardRescorer rescorer, CancellationToken ct)
    {
        var (json, problem) = await ReadValidatedAsync(request, ct);
        if (problem is not null)
        {
            return problem;
        }
        var active = await grains.GetGrain<IScorecardGrain>(0).Activate(json!);
        registry.Use(active);
        _ = rescorer.RunAsync(active.Version);
        return TypedResults.Ok(JsonNode.Parse(Document(active.Json, active.Version))!.AsObject());
    }

    private static async Task<Results<Ok<ScorecardPreviewResponse>, ProblemHttpResult>> PreviewAsync(
        HttpRequest request, IGrainFactory grains, CancellationToken ct)
    {
        var (json, problem) = await ReadValidatedAsync(request, ct);
        if (problem is not null)
        {
            return problem;
        }
        var all = (await Task.WhenAll(Enumerable.Range(0, AccountIndex.ShardCount)
            .Select(s => grains.GetGrain<IAccountIndexShard>(s).Preview(json!)))).SelectMany(p => p).ToArray();
        var before = CountBands(all.Select(p => p.BandBefore));
        var after = CountBands(all.Select(p => p.BandAfter));
        var changed = all.Where(p => p.BandBefore != p.BandAfter)
            .OrderBy(p => p.AccountId, StringComparer.Ordinal)
            .Select(p => new BandChange(p.AccountId, p.Before, p.BandBefore, p.After, p.BandAfter))
            .ToArray();
        return TypedResults.Ok(new ScorecardPreviewResponse(all.Length, before, after, changed.Length, changed.Take(MaxChangesListed).ToArray()));
    }

    private static Dictionary<string, int> CountBands(IEnumerable<string?> bands)
    {
        var counts = new Dictionary<string, int> { ["red"] = 0, ["yellow"] = 0, ["green"] = 0, ["none"] = 0 };
        foreach (var b in bands)
        {
            counts[b ?? "none"]++;
        }
        return counts;
    }
}
