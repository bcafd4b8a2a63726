using System.Net;
using System.Text.Json.Nodes;
using CsMetrics.Server.Tests.Support;
using CsMetrics.Server.Tests.Time;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Insights;

/// <summary>
/// GET /api/v1/scorecard/calibration over HTTP, on the real clock. The numbers over a recorded
/// history are proven in the grain tests (CalibrationTests, fake clock); here: the contract, the
/// admin scope, and that churn is read from event times, so imported out-of-order history counts.
/// </summary>
[Collection(InsightsServerCollection.Name)]
public sealed class CalibrationApiTests(InsightsServerFixture server)
{
    [Fact]
    public async Task Imported_churn_counts_by_event_time_and_bands_CsMetrics_never_showed_are_unknown()
    {
        var now = DateTimeOffset.UtcNow;
        string churned = NewAccountId("cal-churned"), retained = NewAccountId("cal-retained");
        // Out of order: the cancellation arrives before the subscription it ends.
        await server.Ingest.IngestAsync(Batch(Revenue(churned, 0, at: now.AddDays(-5))));
        await server.Ingest.IngestAsync(Batch(Revenue(churned, 1000, at: now.AddDays(-20))));
        await server.Ingest.IngestAsync(Batch(Revenue(retained, 500, at: now.AddDays(-200))));

        var report = await TimeApi.Until(
            () => server.Admin.GetOkAsync("/api/v1/scorecard/calibration?horizonDays=90"),
            r => r["churned"]!.GetValue<int>() >= 1 && r["accountsIndexed"]!.GetValue<int>() >= 2);
        HttpAssertions.AssertHasProperties(report, "horizonDays", "from", "to", "predictionAt", "churned", "retained",
            "retainedRepresented", "sampled", "accountsIndexed", "accountsAsked", "bandsBeforeChurn", "red", "greenShare",
            "components", "churnedAccounts", "elapsedMs");
        Assert.Equal(90, report["horizonDays"]!.GetValue<int>());
        var to = report["to"]!.GetValue<DateTimeOffset>();
        Assert.Equal(to.AddDays(-90), report["from"]!.GetValue<DateTimeOffset>());
        // The prediction reads the close of the day before the window opens.
        Assert.Equal(new DateTimeOffset(to.AddDays(-90).UtcDateTime.Date, TimeSpan.Zero), report["predictionAt"]!.GetValue<DateTimeOffset>());

        Assert.Equal(1, report["churned"]!.GetValue<int>());
        var account = Assert.Single(report["churnedAccounts"]!.AsArray())!.AsObject();
        Assert.Equal(churned, account["accountId"]!.GetValue<string>());
        Assert.Equal(Iso(now.AddDays(-5)), Iso(account["churnedAt"]!.GetValue<DateTimeOffset>()));
        // CsMetrics first saw this account today: what it said 30/60/90 days before is unknown, not green.
        Assert.Equal("""{"30":null,"60":null,"90":null}""", account["bandsBefore"]!.ToJsonString());
        Assert.Null(account["bandAtPrediction"]);
        Assert.Equal(
            """[{"leadDays":30,"red":0,"yellow":0,"green":0,"unknown":1},{"leadDays":60,"red":0,"yellow":0,"green":0,"unknown":1},{"leadDays":90,"red":0,"yellow":0,"green":0,"unknown":1}]""",
            report["bandsBeforeChurn"]!.ToJsonString());
        Assert.Null(report["greenShare"]);

        // Retained: paying when the window opened (MRR since 200 days ago), not churned. Only the
        // calibration tests' accounts pay on this server; the VoC accounts send surveys only.
        Assert.Equal(1, report["retained"]!.GetValue<int>());
        Assert.False(report["sampled"]!.GetValue<bool>());
        // No band was known at the prediction time, so red predicted nothing either way.
        Assert.Equal("""{"precision":null,"recall":null,"truePositives":0,"falsePositives":0,"falseNegatives":0,"trueNegatives":0}""",
            report["red"]!.ToJsonString());

        // A 3-day horizon ends after the churn 5 days ago: nothing churned in it.
        var shortHorizon = await server.Admin.GetOkAsync("/api/v1/scorecard/calibration?horizonDays=3");
        Assert.Equal(0, shortHorizon["churned"]!.GetValue<int>());
        Assert.Empty(shortHorizon["churnedAccounts"]!.AsArray());
    }

    [Fact]
    public async Task Only_admins_may_ask_and_the_horizon_is_one_to_365_days()
    {
        Assert.Equal(HttpStatusCode.Forbidden, (await server.Read.GetAsync("/api/v1/scorecard/calibration")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Anonymous.GetAsync("/api/v1/scorecard/calibration")).StatusCode);
        await HttpAssertions.AssertProblemAsync(await server.Admin.GetAsync("/api/v1/scorecard/calibration?horizonDays=0"), 400);
        await HttpAssertions.AssertProblemAsync(await server.Admin.GetAsync("/api/v1/scorecard/calibration?horizonDays=366"), 400);
        await HttpAssertions.AssertProblemAsync(await server.Admin.GetAsync("/api/v1/scorecard/calibration?horizonDays=abc"), 400);
        var byDefault = await server.Admin.GetOkAsync("/api/v1/scorecard/calibration");
        Assert.Equal(90, byDefault["horizonDays"]!.GetValue<int>());
    }
}
