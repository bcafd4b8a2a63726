using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Index;
using CsMetrics.Grains.Index;
using CsMetrics.Scoring.Scorecards;
using CsMetrics.Scoring.Signals;
using CsMetrics.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace CsMetrics.Server.Hosting;

/// <summary>Body of <c>PUT /api/v1/accounts/{id}</c>; every field optional.</summary>
public sealed record AccountRegistration(string? Name, string? Owner, string? Segment, int? Seats, DateOnly? RenewalDate);

public sealed record AccountListItem(string AccountId, string? Name, string? Owner, string? Segment, double? Score, string? Band, DateOnly? RenewalDate, DateTimeOffset? UpdatedAt);

public sealed record AccountList(int Total, int Offset, int Limit, AccountListItem[] Accounts);

public static class AccountsApi
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 1000;

    public static IEndpointRouteBuilder MapAccountsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/accounts").WithTags("Accounts");
        group.MapPut("/{accountId}", RegisterAsync).RequireAuthorization(Policies.Admin)
            .WithSummary("Create or update an account's registry metadata.");
        group.MapGet("/{accountId}", GetAsync).RequireAuthorization(Policies.Read)
            .WithSummary("An account with its signal counts, health, components and latest explanation.");
        group.MapGet("/", ListAsync).RequireAuthorization(Policies.Read)
            .WithSummary("Accounts sorted by score ascending (worst first).");
        return app;
    }

    private static async Task<Results<Ok<AccountView>, ProblemHttpResult>> RegisterAsync(
        string accountId, AccountRegistration? body, IGrainFactory grains)
    {
        accountId = FromRoute(accountId);
        var errors = new List<string>();
        if (!ValidAccountId(accountId))
        {
            errors.Add($"accountId must be 1–{SignalLimits.MaxIdLength} characters without control characters");
        }
        if (body is null)
        {
            errors.Add("body: an object {\"name\",\"owner\",\"segment\",\"seats\",\"renewalDate\"} is required");
        }
        else
        {
            CheckText(body.Name, "name", errors);
            CheckText(body.Owner, "owner", errors);
            CheckText(body.Segment, "segment", errors);
            if (body.Seats is < 0 or > 10_000_000)
            {
                errors.Add("seats must be within 0–10000000");
            }
        }
        if (errors.Count > 0)
        {
            return TypedResults.Problem(title: "Invalid account", detail: string.Join("; ", errors), statusCode: 400);
        }

        var profile = new AccountProfile(body!.Name, body.Owner, body.Segment, body.Seats ?? 0, body.RenewalDate);
        var view = await grains.GetGrain<IAccountGrain>(accountId).Register(profile);
        return TypedResults.Ok(view);
    }

    private static async Task<Results<Ok<AccountView>, ProblemHttpResult>> GetAsync(string accountId, IGrainFactory grains, System.Security.Claims.ClaimsPrincipal user)
    {
        accountId = FromRoute(accountId);
        if (!ValidAccountId(accountId))
        {
            return TypedResults.Problem(title: "Account not found", statusCode: 404);
        }
        var view = await grains.GetGrain<IAccountGrain>(accountId).GetView();
        // Another CSM's account does not exist for an owner-restricted key (404, not 403: no hint).
        return view is null || !user.MaySee(view.Owner)
            ? TypedResults.Problem(title: "Account not found", detail: $"No account '{accountId}' has been registered or sent a signal.", statusCode: 404)
            : TypedResults.Ok(view);
    }

    private static async Task<Results<Ok<AccountList>, ProblemHttpResult>> ListAsync(
        IGrainFactory grains, System.Security.Claims.ClaimsPrincipal user, string? owner, string? segment, string? band, int? limit, int? offset)
    {
        if (user.OwnerRestriction() is { } restricted)
        {
            if (owner is not null && owner != restricted)
            {
                return TypedResults.Ok(new AccountList(0, offset ?? 0, limit ?? DefaultPageSize, []));
            }
            owner = restricted;
        }
        int take = limit ?? DefaultPageSize;
        int skip = offset ?? 0;
        if (take is < 1 or > MaxPageSize || skip < 0 || skip > 1_000_000)
        {
            return TypedResults.Problem(title: "Invalid paging", detail: $"limit must be 1–{MaxPageSize}, offset 0–1000000", statusCode: 400);
        }
        if (band is not null && !HealthBandNames.TryParse(band, out _))
        {
            return TypedResults.Problem(title: "Invalid band", detail: "band must be red, yellow or green", statusCode: 400);
        }

        // Every shard returns its first offset+limit matches in order; merging those gives the page.
        var query = new IndexQuery(owner, segment, band, skip + take);
        var pages = await Task.WhenAll(Enumerable.Range(0, AccountIndex.ShardCount)
            .Select(s => grains.GetGrain<IAccountIndexShard>(s).Query(query)));
        var merged = pages.SelectMany(p => p.Entries).Order(WorstFirst.Instance).Skip(skip).Take(take)
            .Select(e => new AccountListItem(e.AccountId, e.Name, e.Owner, e.Segment, e.Score, e.Band, e.RenewalDate, e.UpdatedAt))
            .ToArray();
        return TypedResults.Ok(new AccountList(pages.Sum(p => p.Total), skip, take, merged));
    }

    /// <summary>
    /// ASP.NET Core decodes the path except <c>%2F</c>, so a route value keeps an encoded '/' as
    /// "%2F". Account ids may contain '/' (signals accept them), so decode it here; otherwise such
    /// an account could not be read, and a PUT would register a different account named "…%2F…".
    /// </summary>
    internal static string FromRoute(string routeValue) =>
        routeValue.Contains('%') ? routeValue.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase) : routeValue;

    internal static bool ValidAccountId(string id) =>
        !string.IsNullOrWhiteSpace(id) && id.Length <= SignalLimits.MaxIdLength && !id.Any(char.IsControl);

    private static void CheckText(string? value, string field, List<string> errors)
    {
        if (value is not null && (value.Length > SignalLimits.MaxNameLength || value.Any(char.IsControl)))
        {
            errors.Add($"{field} must be at most {SignalLimits.MaxNameLength} characters without control characters");
        }
    }
}
