using CsMetrics.Grains.Calibration;
using CsMetrics.Scoring.Aggregates;
using CsMetrics.Scoring.Calibration;
using CsMetrics.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CsMetrics.Server.Hosting;

public sealed record RedPredictionResponse(double? Precision, double? Recall, double TruePositives, double FalsePositives, double FalseNegatives, double TrueNegatives);

public sealed record ChurnedAccountResponse(string AccountId, DateTimeOffset ChurnedAt, Dictionary<string, string?> BandsBefore, string? BandAtPrediction);

/// <summary>The body of <c>GET /api/v1/scorecard/calibration</c>; docs/calibration.md defines every field.</summary>
public sealed record CalibrationResponse(
    int HorizonDays,
    DateTimeOffset From,
    DateTimeOffset To,
    DateTimeOffset PredictionAt,
    int Churned,
    int Retained,
    double RetainedRepresented,
    bool Sampled,
    int AccountsIndexed,
    int AccountsAsked,
    BandsBeforeChurn[] BandsBeforeChurn,
    RedPredictionResponse Red,
    double? GreenShare,
    ComponentSeparation[] Components,
    ChurnedAccountResponse[] ChurnedAccounts,
    double ElapsedMs);

/// <summary>Is the health score right? Bands before real churns, red as a predictor, each component's AUC.</summary>
public static class CalibrationApi
{
    public const int MaxHorizonDays = 365;

    public static IEndpointRouteBuilder MapCalibrationApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/scorecard/calibration", GetAsync).WithTags("Scorecard").RequireAuthorization(Policies.Admin)
            .WithSummary("For accounts that churned within horizonDays: their band 30/60/90 days before, red's precision and recall, the share that were green, each component's AUC.");
        return app;
    }

    private static async Task<Results<Ok<CalibrationResponse>, ProblemHttpResult>> GetAsync(CalibrationGatherer gatherer, int? horizonDays)
    {
        int horizon = horizonDays ?? 90;
        if (horizon is < 1 or > MaxHorizonDays)
        {
            return TypedResults.Problem(title: "Invalid horizon", detail: $"horizonDays must be 1–{MaxHorizonDays}", statusCode: 400);
        }
        var report = await gatherer.GatherAsync(horizon);
        var s = report.Summary;
        var leads = report.Window.Leads;
        // Best separators first; components without an AUC (one side empty) last.
        var components = s.Components.OrderByDescending(c => c.Auc ?? double.MinValue).ThenBy(c => c.Name, StringComparer.Ordinal).ToArray();
        var churned = report.ChurnedAccounts.Select(c => new ChurnedAccountResponse(
            c.AccountId, c.ChurnedAt,
            leads.Select((lead, i) => (lead, i)).ToDictionary(x => x.lead.ToString(System.Globalization.CultureInfo.InvariantCulture), x => c.BandsBefore[x.i]),
            c.BandAtPrediction)).ToArray();
        return TypedResults.Ok(new CalibrationResponse(
            horizon, report.Window.From, report.Window.To,
            DayNumber.Start(report.Window.PredictionDay + 1),
            s.Churned, s.RetainedCounted, s.RetainedRepresented, report.Sampled, report.AccountsIndexed, report.AccountsAsked,
            s.BandsBeforeChurn,
            new RedPredictionResponse(s.Red.Precision, s.Red.Recall, s.Red.TruePositives, s.Red.FalsePositives, s.Red.FalseNegatives, s.Red.TrueNegatives),
            s.GreenShare, components, churned, Math.Round(report.Elapsed.TotalMilliseconds, 1)));
    }
}
