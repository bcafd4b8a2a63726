using System.Globalization;
using System.Security.Claims;
using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Metrics;
using CsMetrics.Grains.Metrics;
using CsMetrics.Scoring.Metrics;
using CsMetrics.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CsMetrics.Server.Hosting;

/// <summary>The answer to a rebuild request: the epoch it runs under (queued: the running one, after which one more runs).</summary>
public sealed record MetricsRebuildResponse(long Epoch, bool Queued);

/// <summary>
/// The metrics catalog (docs/metrics.md): the portfolio from the metrics shards' running sums,
/// one account from its own history. JSON, or CSV with <c>?format=csv</c>.
/// </summary>
public static class MetricsApi
{
    public const int DefaultDays = 30;
    public const int MaxDays = 3660;

    public static IEndpointRouteBuilder MapMetricsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/metrics", PortfolioAsync).RequireAuthorization(Policies.Read).WithTags("Metrics")
            .WithSummary("Every metric of the catalog for the portfolio (optionally one segment or owner) over a period of days.");
        app.MapPost("/api/v1/metrics/rebuild", RebuildAsync).RequireAuthorization(Policies.Admin).WithTags("Metrics")
            .Produces<MetricsRebuildResponse>(StatusCodes.Status202Accepted)
            .WithSummary("Rebuilds the portfolio metrics from the accounts under a new epoch, in the background (docs/metrics.md).");
        app.MapGet("/api/v1/metrics/rebuild", async (IGrainFactory grains) => TypedResults.Ok(await grains.GetGrain<IMetricsEpochGrain>(0).Status()))
            .RequireAuthorization(Policies.Read).WithTags("Metrics")
            .WithSummary("The portfolio metrics epoch and the progress of its rebuild.");
        app.MapGet("/api/v1/accounts/{accountId}/metrics", AccountAsync).RequireAuthorization(Policies.Read).WithTags("Metrics")
            .WithSummary("Every metric of the catalog for one account over a period of days.");
        return app;
    }

    /// <summary>Set on portfolio answers while a rebuild runs: the figures may be short.</summary>
    public const string RebuildingHeader = "X-Metrics-Rebuilding";

    private static async Task<Accepted<MetricsRebuildResponse>> RebuildAsync(MetricsRebuilder rebuilder)
    {
        var start = await rebuilder.RequestAsync("requested through the API");
        return TypedResults.Accepted("/api/v1/metrics/rebuild", new MetricsRebuildResponse(start.Epoch, start.Queued));
    }

    private static async Task<Results<Ok<MetricsReport>, ContentHttpResult, ProblemHttpResult>> PortfolioAsync(
        string? from, string? to, string? segment, string? owner, string? format, IGrainFactory grains, TimeProvider time, ClaimsPrincipal user,
        HttpResponse response)
    {
        if (await grains.GetGrain<IMetricsEpochGrain>(0).Status() is { Rebuilding: true } rebuild)
        {
            response.Headers[RebuildingHeader] = $"epoch={rebuild.Epoch}; done={rebuild.Done}; total={rebuild.Total}";
        }
        var (fromDay, toDay, problem) = Validate(from, to, format, time);
        if (problem is not null)
        {
            return problem;
        }
        PeriodFacts total = PeriodFacts.Empty(fromDay, toDay);
        bool foreignOwner = user.OwnerRestriction() is { } restricted && owner is not null && owner != restricted;
        if (!foreignOwner)
        {
            // An owner-restricted key only ever sees its own accounts.
            owner = user.OwnerRestriction() ?? owner;
            var query = new MetricsQuery(fromDay, toDay, segment, owner);
            var parts = await Task.WhenAll(Enumerable.Range(0, MetricsShards.Count).Select(s => grains.GetGrain<IMetricsShard>(s).Query(query)));
            foreach (var part in parts)
            {
                total.Merge(PeriodFacts.FromBytes(part));
            }
        }
        return Respond(MetricsCalculator.Compute(total, null, segment, owner), format);
    }

    private static async Task<Results<Ok<MetricsReport>, ContentHttpResult, ProblemHttpResult>> AccountAsync(
        string accountId, string? from, string? to, string? format, IGrainFactory grains, TimeProvider time, ClaimsPrincipal user)
    {
        accountId = AccountsApi.FromRoute(accountId);
        var (fromDay, toDay, problem) = Validate(from, to, format, time);
        if (problem is not null)
        {
            return problem;
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
        var facts = PeriodFacts.FromBytes(await grain.GetMetricFacts(fromDay, toDay));
        return Respond(MetricsCalculator.Compute(facts, accountId, null, null), format);
    }

    private static Results<Ok<MetricsReport>, ContentHttpResult, ProblemHttpResult> Respond(MetricsReport report, string? format) =>
        format == "csv"
            ? TypedResults.Text(MetricsCsv.Write(report), "text/csv; charset=utf-8")
            : TypedResults.Ok(report);

    /// <summary>The period as day numbers, or a 400 naming the parameter at fault.</summary>
    private static (int FromDay, int ToDay, ProblemHttpResult? Problem) Validate(string? from, string? to, string? format, TimeProvider time)
    {
        if (format is not (null or "json" or "csv"))
        {
            return (0, 0, Invalid("format", "format must be json or csv"));
        }
        int today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime).DayNumber;
        int toDay = today;
        if (to is not null && !TryParseDay(to, out toDay))
        {
            return (0, 0, Invalid("to", "to must be a date (yyyy-MM-dd) or an ISO 8601 date-time"));
        }
        int fromDay = toDay - DefaultDays;
        if (from is not null && !TryParseDay(from, out fromDay))
        {
            return (0, 0, Invalid("from", "from must be a date (yyyy-MM-dd) or an ISO 8601 date-time"));
        }
        if (fromDay > toDay)
        {
            return (0, 0, Invalid("from", "from must not be after to"));
        }
        if (toDay - fromDay + 1 > MaxDays)
        {
            return (0, 0, Invalid("from", $"the period may span at most {MaxDays} days"));
        }
        return (fromDay, toDay, null);
    }

    private static ProblemHttpResult Invalid(string parameter, string detail) =>
        TypedResults.Problem(title: $"Invalid {parameter}", detail: detail, statusCode: 400);

    private static bool TryParseDay(string text, out int day)
    {
        day = 0;
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            day = date.DayNumber;
            return date.Year >= 1970;
        }
        if (text.Length > 10 && text[10] is 'T' or 't'
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) && at.Year >= 1970)
        {
            day = DateOnly.FromDateTime(at.UtcDateTime).DayNumber;
            return true;
        }
        return false;
    }
}
