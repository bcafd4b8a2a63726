using System.Security.Claims;
using CsMetrics.Contracts.Accounts;
using CsMetrics.Scoring.Scorecards;
using CsMetrics.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CsMetrics.Server.Hosting;

public sealed record HistoryResponse(string AccountId, HistoryPoint[] Points);

/// <summary>Body of <c>PUT /api/v1/accounts/{id}/override</c>: a band or a score, a reason, an expiry.</summary>
public sealed record OverrideBody(string? Band, double? Score, string? Reason, DateTimeOffset? ExpiresAt);

/// <summary>An account over time: its score history and manual overrides.</summary>
public static class AccountTimeApi
{
    public static readonly TimeSpan MaxOverride = TimeSpan.FromDays(366);

    public static IEndpointRouteBuilder MapAccountTimeApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/accounts").WithTags("Accounts");
        group.MapGet("/{accountId}/history", HistoryAsync).RequireAuthorization(Policies.Read)
            .WithSummary("Score points (each change, at most one a minute, then daily closes) between from and to.");
        group.MapPut("/{accountId}/override", SetOverrideAsync).RequireAuthorization(Policies.Admin)
            .WithSummary("Override the band or score until an expiry; the computed score keeps running underneath.");
        group.MapDelete("/{accountId}/override", LiftOverrideAsync).RequireAuthorization(Policies.Admin)
            .WithSummary("Lift the override.");
        return app;
    }

    private static async Task<Results<Ok<HistoryResponse>, ProblemHttpResult>> HistoryAsync(
        string accountId, DateTimeOffset? from, DateTimeOffset? to, IGrainFactory grains, TimeProvider time, ClaimsPrincipal user)
    {
        accountId = AccountsApi.FromRoute(accountId);
        var now = time.GetUtcNow();
        var end = to ?? now;
        var start = from ?? end.AddDays(-30);
        if (start > end)
        {
            return TypedResults.Problem(title: "Invalid range", detail: "from must not be after to", statusCode: 400);
        }
        if (!AccountsApi.ValidAccountId(accountId))
        {
            return TypedResults.Problem(title: "Account not found", statusCode: 404);
        }
        var grain = grains.GetGrain<IAccountGrain>(accountId);
        if (await grain.GetView() is not { } view || !user.MaySee(view.Owner))
        {
            return TypedResults.Problem(title: "Account not found", statusCode: 404);
        }
        return TypedResults.Ok(new HistoryResponse(accountId, await grain.GetHistory(start, end)));
    }

    private static async Task<Results<Ok<AccountView>, ProblemHttpResult>> SetOverrideAsync(
        string accountId, OverrideBody? body, IGrainFactory grains, TimeProvider time, ClaimsPrincipal user)
    {
        accountId = AccountsApi.FromRoute(accountId);
        var now = time.GetUtcNow();
        var errors = new List<string>();
        if (body is null)
        {
            errors.Add("body: {\"band\" or \"score\", \"reason\", \"expiresAt\"} is required");
        }
        else
        {
            if ((body.Band is null) == (body.Score is null))
            {
                errors.Add("give exactly one of band or score");
            }
            if (body.Band is not null && !HealthBandNames.TryParse(body.Band, out _))
            {
                errors.Add("band must be red, yellow or green");
            }
            if (body.Score is { } s && (!double.IsFinite(s) || s < 0 || s > 100))
            {
                errors.Add("score must be within 0–100");
            }
            if (string.IsNullOrWhiteSpace(body.Reason) || body.Reason.Length > 500 || body.Reason.Any(c => char.IsControl(c) && c != '\n'))
            {
                errors.Add("reason is required: 1–500 characters");
            }
            if (body.ExpiresAt is not { } expires || expires <= now || expires > now + MaxOverride)
            {
                errors.Add("expiresAt is required: a time in the future, at most a year ahead");
            }
        }
        if (errors.Count > 0)
        {
            return TypedResults.Problem(title: "Invalid override", detail: string.Join("; ", errors), statusCode: 400);
        }
        if (!AccountsApi.ValidAccountId(accountId))
        {
            // No such account can exist; and Orleans refuses a blank grain key (a 500).
            return TypedResults.Problem(title: "Account not found", statusCode: 404);
        }
        string by = user.Identity?.Name ?? "unknown";
        var view = await grains.GetGrain<IAccountGrain>(accountId).SetOverride(
            new ScoreOverride(body!.Band, body.Score is { } sc ? Math.Round(sc, 1) : null, body.Reason!.Trim(), body.ExpiresAt!.Value, by));
        return view is null ? TypedResults.Problem(title: "Account not found", statusCode: 404) : TypedResults.Ok(view);
    }

    private static async Task<Results<Ok<AccountView>, ProblemHttpResult>> LiftOverrideAsync(
        string accountId, string? reason, IGrainFactory grains, ClaimsPrincipal user)
    {
        accountId = AccountsApi.FromRoute(accountId);
        if (!AccountsApi.ValidAccountId(accountId))
        {
            // No such account can exist; and Orleans refuses a blank grain key (a 500).
            return TypedResults.Problem(title: "Account not found", statusCode: 404);
        }
        if (reason is not null && (reason.Length > 500 || reason.Any(c => char.IsControl(c) && c != '\n')))
        {
            return TypedResults.Problem(title: "Invalid reason", detail: "reason must be at most 500 characters without control characters", statusCode: 400);
        }
        var view = await grains.GetGrain<IAccountGrain>(accountId).LiftOverride(user.Identity?.Name ?? "unknown", reason);
        return view is null ? TypedResults.Problem(title: "Account not found", statusCode: 404) : TypedResults.Ok(view);
    }
}
