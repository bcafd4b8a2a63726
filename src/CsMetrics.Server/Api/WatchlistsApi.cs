using CsMetrics.Contracts.Watchlists;
using CsMetrics.Scoring.Scorecards;
using CsMetrics.Server.Auth;
using CsMetrics.Server.Live;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CsMetrics.Server.Hosting;

/// <summary>Body of <c>PUT /api/v1/watchlists/{id}</c>.</summary>
public sealed record WatchlistBody(string? Name, WatchlistFilter? Filter, string? Sort, int? Limit);

public sealed record WatchlistList(WatchlistDefinition[] Watchlists);

/// <summary>A watchlist with its current entries, as <c>GET /api/v1/watchlists/{id}</c> returns it.</summary>
public sealed record WatchlistView(string Id, string Name, long Version, string Sort, WatchlistEntry[] Entries);

public static class WatchlistsApi
{
    public static IEndpointRouteBuilder MapWatchlistsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/watchlists").WithTags("Watchlists");
        group.MapGet("/", async (IGrainFactory grains) =>
            TypedResults.Ok(new WatchlistList(await grains.GetGrain<IWatchlistRegistry>(0).GetAll())))
            .RequireAuthorization(Policies.Read)
            .WithSummary("Every watchlist: the built-ins first, then the team's own.");
        group.MapGet("/{id}", GetAsync).RequireAuthorization(Policies.Read)
            .WithSummary("A watchlist with its entries, in its sort order.");
        group.MapPut("/{id}", PutAsync).RequireAuthorization(Policies.Admin)
            .WithSummary("Create or replace a watchlist.");
        group.MapDelete("/{id}", DeleteAsync).RequireAuthorization(Policies.Admin)
            .WithSummary("Delete a watchlist (built-ins cannot be deleted).");
        return app;
    }

    private static async Task<Results<Ok<WatchlistView>, ProblemHttpResult>> GetAsync(string id, IGrainFactory grains, System.Security.Claims.ClaimsPrincipal user)
    {
        if (WatchlistIds.IsValid(id))
        {
            var all = await grains.GetGrain<IWatchlistRegistry>(0).GetAll();
            var definition = all.FirstOrDefault(w => w.Id == id);
            var snapshot = definition is null ? null : await grains.GetGrain<IWatchlistGrain>(id).GetSnapshot();
            if (definition is not null && snapshot is not null)
            {
                var entries = user.OwnerRestriction() is { } owner ? snapshot.Entries.Where(e => e.Owner == owner).ToArray() : snapshot.Entries;
                return TypedResults.Ok(new WatchlistView(id, snapshot.Name, snapshot.Version, definition.Sort, entries));
            }
        }
        return TypedResults.Problem(title: "Watchlist not found", statusCode: 404);
    }

    private static async Task<Results<Ok<WatchlistDefinition>, ProblemHttpResult>> PutAsync(string id, WatchlistBody? body, IGrainFactory grains)
    {
        var errors = Validate(id, body);
        if (errors.Count > 0)
        {
            return TypedResults.Problem(title: "Invalid watchlist", detail: string.Join("; ", errors), statusCode: 400);
        }
        var definition = new WatchlistDefinition(
            id, body!.Name!.Trim(), body.Filter ?? new WatchlistFilter(), body.Sort ?? "score",
            body.Limit ?? WatchlistDefinition.DefaultLimit, BuiltIn: false);
        bool saved = await grains.GetGrain<IWatchlistRegistry>(0).Put(definition);
        return saved
            ? TypedResults.Ok(definition)
            : TypedResults.Problem(title: "Built-in watchlist", detail: $"'{id}' is built in and cannot be changed; save your own under another id.", statusCode: 409);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string id, IGrainFactory grains)
    {
        if (!WatchlistIds.IsValid(id))
        {
            return TypedResults.Problem(title: "Watchlist not found", statusCode: 404);
        }
        return await grains.GetGrain<IWatchlistRegistry>(0).Delete(id) switch
        {
            true => TypedResults.NoContent(),
            false => TypedResults.Problem(title: "Built-in watchlist", detail: $"'{id}' is built in and cannot be deleted.", statusCode: 409),
            null => TypedResults.Problem(title: "Watchlist not found", statusCode: 404),
        };
    }

    private static List<string> Validate(string id, WatchlistBody? body)
    {
        var errors = new List<string>();
        if (!WatchlistIds.IsValid(id))
        {
            errors.Add("id must be 1–64 characters of a-z, 0-9, '-' and '_'");
        }
        if (body is null)
        {
            errors.Add("body: {\"name\",\"filter\",\"sort\",\"limit\"} is required");
            return errors;
        }
        if (string.IsNullOrWhiteSpace(body.Name) || body.Name.Length > 100 || body.Name.Any(char.IsControl))
        {
            errors.Add("name is required: 1–100 characters without control characters");
        }
        if (body.Sort is not null && !WatchlistRules.Sorts.Contains(body.Sort))
        {
            errors.Add("sort must be score, drop7d or renewal");
        }
        if (body.Limit is < 1 or > WatchlistDefinition.MaxLimit)
        {
            errors.Add($"limit must be 1–{WatchlistDefinition.MaxLimit}");
        }
        if (body.Filter is { } f)
        {
            if (f.Bands is not null && (f.Bands.Length > 3 || f.Bands.Any(b => !HealthBandNames.TryParse(b, out _))))
            {
                errors.Add("filter.bands must hold red, yellow and/or green");
            }
            // "NaN" gets through the web JSON options (numbers may come as strings) and through
            // "is < 0 or > 100"; stored, it would break every later read of the watchlists.
            if (Outside(f.MinScore, 0, 100) || Outside(f.MaxScore, 0, 100))
            {
                errors.Add("filter.minScore and filter.maxScore must be within 0–100");
            }
            if (f.MinScore is { } min && f.MaxScore is { } max && min > max)
            {
                errors.Add("filter.minScore must not exceed filter.maxScore");
            }
            if (Outside(f.MinDrop7d, 0, 100))
            {
                errors.Add("filter.minDrop7d must be within 0–100 (points of fall)");
            }
            if (f.MinDaysSilent is < 1 or > 3660)
            {
                errors.Add("filter.minDaysSilent must be within 1–3660");
            }
            if (f.RenewalWithinDays is < 0 or > 3660)
            {
                errors.Add("filter.renewalWithinDays must be within 0–3660");
            }
            if (f.Owner is { Length: > 200 } || f.Segment is { Length: > 200 })
            {
                errors.Add("filter.owner and filter.segment are at most 200 characters");
            }
        }
        return errors;
    }

    /// <summary>Set and not within [min, max]; NaN is never within.</summary>
    private static bool Outside(double? value, double min, double max) => value is { } v && !(v >= min && v <= max);
}
