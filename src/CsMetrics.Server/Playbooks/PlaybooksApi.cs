using CsMetrics.Contracts.Playbooks;
using CsMetrics.Contracts.Watchlists;
using CsMetrics.Server.Auth;
using CsMetrics.Server.Live;
using Microsoft.AspNetCore.Http.HttpResults;

// In the Hosting namespace, next to the other API groups mapped in Program.cs.
namespace CsMetrics.Server.Hosting;

/// <summary>Body of <c>PUT /api/v1/playbooks/{id}</c>.</summary>
public sealed record PlaybookBody(string? Name, PlaybookTrigger? Trigger, PlaybookAction? Action, int? CooldownMinutes);

public sealed record PlaybookList(PlaybookDefinition[] Playbooks);

public sealed record PlaybookDeliveries(PlaybookDeliveryRecord[] Deliveries);

public static class PlaybooksApi
{
    public static IEndpointRouteBuilder MapPlaybooksApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/playbooks").WithTags("Playbooks").RequireAuthorization(Policies.Admin);
        group.MapGet("/", async (IGrainFactory grains) =>
            TypedResults.Ok(new PlaybookList(await grains.GetGrain<IPlaybookRegistry>(0).GetAll())))
            .WithSummary("Every playbook.");
        group.MapGet("/{id}", GetAsync).WithSummary("One playbook.");
        group.MapPut("/{id}", PutAsync).WithSummary("Create or replace a playbook.");
        group.MapDelete("/{id}", DeleteAsync).WithSummary("Delete a playbook and its delivery log.");
        group.MapGet("/{id}/deliveries", DeliveriesAsync).WithSummary("The playbook's recent deliveries, most recent first.");
        return app;
    }

    private static async Task<PlaybookDefinition?> FindAsync(string id, IGrainFactory grains) =>
        WatchlistIds.IsValid(id) ? (await grains.GetGrain<IPlaybookRegistry>(0).GetAll()).FirstOrDefault(p => p.Id == id) : null;

    private static ProblemHttpResult NotFound() => TypedResults.Problem(title: "Playbook not found", statusCode: 404);

    private static async Task<Results<Ok<PlaybookDefinition>, ProblemHttpResult>> GetAsync(string id, IGrainFactory grains) =>
        await FindAsync(id, grains) is { } p ? TypedResults.Ok(p) : NotFound();

    private static async Task<Results<Ok<PlaybookDeliveries>, ProblemHttpResult>> DeliveriesAsync(string id, IGrainFactory grains) =>
        await FindAsync(id, grains) is null
            ? NotFound()
            : TypedResults.Ok(new PlaybookDeliveries(await grains.GetGrain<IPlaybookGrain>(id).GetDeliveries()));

    private static async Task<Results<Ok<PlaybookDefinition>, ProblemHttpResult>> PutAsync(string id, PlaybookBody? body, IGrainFactory grains)
    {
        var watchlists = await grains.GetGrain<IWatchlistRegistry>(0).GetAll();
        var errors = Validate(id, body, watchlists);
        if (errors.Count > 0)
        {
            return TypedResults.Problem(title: "Invalid playbook", detail: string.Join("; ", errors), statusCode: 400);
        }
        var t = body!.Trigger!;
        // Keep only the fields of the trigger's type.
        var trigger = t.Type switch
        {
            PlaybookRules.BandFalls => new PlaybookTrigger(t.Type, To: t.To, From: t.From),
            PlaybookRules.ScoreDrop => new PlaybookTrigger(t.Type, Points: t.Points),
            PlaybookRules.EntersWatchlist => new PlaybookTrigger(t.Type, WatchlistId: t.WatchlistId),
            PlaybookRules.UrgentUnanswered => new PlaybookTrigger(t.Type, Hours: t.Hours),
            _ => new PlaybookTrigger(t.Type, Days: t.Days),
        };
        var definition = new PlaybookDefinition(
            id, body.Name!.Trim(), trigger, new PlaybookAction(body.Action!.Type, body.Action.Url),
            body.CooldownMinutes ?? PlaybookDefinition.DefaultCooldownMinutes);
        await grains.GetGrain<IPlaybookRegistry>(0).Put(definition);
        return TypedResults.Ok(definition);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string id, IGrainFactory grains) =>
        WatchlistIds.IsValid(id) && await grains.GetGrain<IPlaybookRegistry>(0).Delete(id) ? TypedResults.NoContent() : NotFound();

    private static List<string> Validate(string id, PlaybookBody? body, WatchlistDefinition[] watchlists)
    {
        var errors = new List<string>();
        if (!WatchlistIds.IsValid(id))
        {
            errors.Add("id must be 1–64 characters of a-z, 0-9, '-' and '_'");
        }
        if (body is null)
        {
            errors.Add("body: {\"name\",\"trigger\",\"action\",\"cooldownMinutes\"} is required");
            return errors;
        }
        if (string.IsNullOrWhiteSpace(body.Name) || body.Name.Length > 100 || body.Name.Any(char.IsControl))
        {
            errors.Add("name is required: 1–100 characters without control characters");
        }
        if (body.CooldownMinutes is < 0 or > PlaybookDefinition.MaxCooldownMinutes)
        {
            errors.Add($"cooldownMinutes must be within 0–{PlaybookDefinition.MaxCooldownMinutes}");
        }
        switch (body.Trigger)
        {
            case null:
                errors.Add("trigger is required: {\"type\":\"band_falls\"|\"score_drop\"|\"enters_watchlist\"|\"no_usage\"|\"nps_detractor\"|\"urgent_unanswered\", …}");
                break;
            case { Type: PlaybookRules.BandFalls } t:
                if (t.To is not ("red" or "yellow"))
                {
                    errors.Add("trigger.to must be red or yellow");
                }
                else if (t.From is not null && PlaybookRules.Rank(t.From) <= PlaybookRules.Rank(t.To))
                {
                    errors.Add("trigger.from must be a band better than trigger.to (yellow or green)");
                }
                break;
            case { Type: PlaybookRules.ScoreDrop } t:
                if (t.Points is not { } points || !(points > 0 && points <= 100))
                {
                    errors.Add("trigger.points must be within (0, 100]");
                }
                break;
            case { Type: PlaybookRules.EntersWatchlist } t:
                if (!watchlists.Any(w => w.Id == t.WatchlistId))
                {
                    errors.Add("trigger.watchlistId must name an existing watchlist");
                }
                break;
            case { Type: PlaybookRules.NoUsage } t:
                if (t.Days is not (>= 1 and <= 3660))
                {
                    errors.Add("trigger.days must be within 1–3660");
                }
                break;
            case { Type: PlaybookRules.NpsDetractor } t:
                if (t.Days is not (null or (>= 1 and <= 365)))
                {
                    errors.Add($"trigger.days (how long a detractor answer's episode lasts) must be within 1–365, or left out for {PlaybookRules.DefaultDetractorDays}");
                }
                break;
            case { Type: PlaybookRules.UrgentUnanswered } t:
                if (t.Hours is not (>= 1 and <= 720))
                {
                    errors.Add("trigger.hours (how long an urgent ticket may wait for a first response) must be within 1–720");
                }
                break;
            default:
                errors.Add("trigger.type must be band_falls, score_drop, enters_watchlist, no_usage, nps_detractor or urgent_unanswered");
                break;
        }
        if (body.Action is not { } a)
        {
            errors.Add("action is required: {\"type\":\"webhook\"|\"slack\",\"url\"}");
        }
        else
        {
            if (!PlaybookRules.ActionTypes.Contains(a.Type))
            {
                errors.Add("action.type must be webhook or slack");
            }
            if (a.Url is not { Length: <= 2000 } || !Uri.TryCreate(a.Url, UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || !string.IsNullOrEmpty(uri.UserInfo))
            {
                errors.Add("action.url must be an absolute http or https URL (at most 2000 characters, no user info)");
            }
        }
        return errors;
    }
}
