using CsMetrics.Contracts.Playbooks;
using CsMetrics.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CsMetrics.Server.Hosting;

public sealed record AlertList(FiredAlert[] Alerts);

/// <summary><c>GET /api/v1/alerts</c>: the recent playbook alerts, so the dashboard's live feed starts filled.</summary>
public static class AlertsApi
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = Grains.Playbooks.AlertFeedGrain.Capacity;

    public static IEndpointRouteBuilder MapAlertsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/alerts", GetAsync)
            .RequireAuthorization(Policies.Read)
            .WithTags("Playbooks")
            .WithSummary("The most recent playbook alerts, newest first.");
        return app;
    }

    /// <summary>What a key may see: an owner-restricted key only its accounts' alerts.</summary>
    public static FiredAlert[] Visible(FiredAlert[] recent, string? owner, int limit) =>
        recent.Where(a => owner is null || a.Owner == owner).Take(limit).ToArray();

    private static async Task<Results<Ok<AlertList>, ProblemHttpResult>> GetAsync(
        IGrainFactory grains, System.Security.Claims.ClaimsPrincipal user, int? limit)
    {
        int take = limit ?? DefaultLimit;
        if (take is < 1 or > MaxLimit)
        {
            return TypedResults.Problem(title: "Invalid limit", detail: $"limit must be 1–{MaxLimit}", statusCode: 400);
        }
        var recent = await grains.GetGrain<IAlertFeed>(0).GetRecent();
        return TypedResults.Ok(new AlertList(Visible(recent, user.OwnerRestriction(), take)));
    }
}
