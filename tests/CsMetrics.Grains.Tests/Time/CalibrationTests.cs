using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Calibration;
using CsMetrics.Grains.Calibration;
using CsMetrics.Scoring.Calibration;
using CsMetrics.Scoring.Signals;
using Microsoft.Extensions.DependencyInjection;
using CsMetrics.Grains.Tests.Cluster;
using static CsMetrics.Grains.Tests.Cluster.Sig;

namespace CsMetrics.Grains.Tests.Time;

/// <summary>
/// Calibration over a generated 120-day history on the fake clock. Every account has MRR 1000
/// from day 0 and one NPS respondent, so with the default scorecard only revenue and sentiment
/// are included (weights 15 and 15): revenue 75 (MRR change 0 % on −30…10), sentiment 0 for a
/// detractor (NPS −100), 50 for a passive, 100 for a promoter. Overall: detractor 37.5 red,
/// passive 62.5 yellow, promoter 87.5 green.
/// </summary>
public sealed class CalibrationTests(CalibrationClusterFixture fixture) : IClassFixture<CalibrationClusterFixture>
{
    [Fact]
    public async Task Bands_before_churn_red_as_predictor_green_share_and_component_auc_from_recorded_history()
    {
        var day0 = fixture.AdvanceToNextDay();
        DateTimeOffset Day(int d) => day0.AddDays(d);

        string[] alwaysRed = [NewAccount("cal-a"), NewAccount("cal-a"), NewAccount("cal-a")];
        string turnedRed = NewAccount("cal-b");
        string greenChurned = NewAccount("cal-c");
        string retainedRed = NewAccount("cal-d");
        string[] retainedGreen = [NewAccount("cal-e"), NewAccount("cal-e"), NewAccount("cal-e")];
        string retainedYellow = NewAccount("cal-f");
        string churnedLongAgo = NewAccount("cal-g");

        async Task Start(string id, int nps)
        {
            var view = await fixture.Account(id).Apply(Batch(
                Revenue(id, "r0", Day(0), 1000),
                Survey(id, "s0", Day(0), SurveyKind.Nps, nps, "pat")));
            Assert.Equal(2, view.Accepted);
        }
        foreach (var id in alwaysRed)
        {
            await Start(id, 3);
        }
        await Start(turnedRed, 10);
        await Start(greenChurned, 10);
        await Start(retainedRed, 3);
        foreach (var id in retainedGreen)
        {
            await Start(id, 10);
        }
        await Start(retainedYellow, 7);
        await Start(churnedLongAgo, 10);
        Assert.Equal("red", (await fixture.Account(alwaysRed[0]).GetView())!.Health.Band);
        Assert.Equal(37.5, (await fixture.Account(alwaysRed[0]).GetView())!.Health.Score);
        Assert.Equal("yellow", (await fixture.Account(retainedYellow).GetView())!.Health.Band);
        Assert.Equal("green", (await fixture.Account(greenChurned).GetView())!.Health.Band);

        // Day 10: one account churns long before the window opens.
        fixture.Time.Advance(Day(10) - fixture.Time.GetUtcNow());
        await fixture.Account(churnedLongAgo).Apply(Batch(Revenue(churnedLongAgo, "r1", Day(10), 0)));

        // Day 50: the promoter of one account turns detractor: 87.5 green → 37.5 red.
        fixture.Time.Advance(Day(50) - fixture.Time.GetUtcNow());
        await fixture.Account(turnedRed).Apply(Batch(Survey(turnedRed, "s1", Day(50), SurveyKind.Nps, 2, "pat")));
        Assert.Equal("red", (await fixture.Account(turnedRed).GetView())!.Health.Band);

        // Day 100: five accounts churn (MRR to 0).
        fixture.Time.Advance(Day(100) - fixture.Time.GetUtcNow());
        foreach (var id in alwaysRed.Append(turnedRed).Append(greenChurned))
        {
            await fixture.Account(id).Apply(Batch(Revenue(id, "r1", Day(100), 0)));
        }

        // Day 120, horizon 90: the window is (day 30, day 120]; the prediction reads day 29's close.
        fixture.Time.Advance(Day(120) - fixture.Time.GetUtcNow());
        var gatherer = fixture.Silo(0).GetRequiredService<CalibrationGatherer>();
        var report = await Poll.Until(() => gatherer.GatherAsync(90), r => r.Summary.Churned == 5);
        var s = report.Summary;

        Assert.Equal(Day(30), report.Window.From);
        Assert.Equal(Day(120), report.Window.To);
        Assert.Equal(11, report.AccountsIndexed);
        Assert.False(report.Sampled);
        Assert.Equal(5, s.Churned);
        Assert.Equal(
            alwaysRed.Append(turnedRed).Append(greenChurned).Order(StringComparer.Ordinal),
            report.ChurnedAccounts.Select(c => c.AccountId).Order(StringComparer.Ordinal));
        Assert.All(report.ChurnedAccounts, c => Assert.Equal(Day(100), c.ChurnedAt));
        // Asked: the 6 accounts that did not churn in the window (the one churned on day 10
        // included); retained: the 5 still paying when the window opened.
        Assert.Equal(6, report.AccountsAsked);
        Assert.Equal(5, s.RetainedCounted);

        // 30 days before (day 70): 3 always red + the one red since day 50; the green one.
        // 60 and 90 days before (days 40, 10): the turned-red account was still green.
        Assert.Equal(
            [new BandsBeforeChurn(30, 4, 0, 1, 0), new BandsBeforeChurn(60, 3, 0, 2, 0), new BandsBeforeChurn(90, 3, 0, 2, 0)],
            s.BandsBeforeChurn);
        var turned = report.ChurnedAccounts.Single(c => c.AccountId == turnedRed);
        Assert.Equal(new string?[] { "red", "green", "green" }, turned.BandsBefore);

        // Red on day 29: churned 3 (always red) of 5; retained 1 (cal-d) of 5.
        Assert.Equal(new RedPrediction(3, 1, 2, 4), s.Red);
        Assert.Equal(0.75, s.Red.Precision);   // 3 / (3 + 1)
        Assert.Equal(0.6, s.Red.Recall);       // 3 / (3 + 2)
        Assert.Equal(0.2, s.GreenShare);       // 1 of 5 was green 30 days before

        // Components on day 29. revenue: 75 for everyone → every pair ties → 0.5.
        // sentiment: churned 0, 0, 0, 100, 100 vs retained 0, 100, 100, 100, 50:
        //   each 0   → 4 higher + ½ tie = 4.5, three times = 13.5
        //   each 100 → 3 ties · ½ = 1.5,       twice       = 3
        //   (13.5 + 3) / (5 · 5) = 16.5 / 25 = 0.66.
        Assert.Equal(["revenue", "sentiment"], s.Components.Select(c => c.Name).Order());
        var revenue = s.Components.Single(c => c.Name == "revenue");
        var sentiment = s.Components.Single(c => c.Name == "sentiment");
        Assert.Equal(new ComponentSeparation("revenue", 0.5, 5, 5), revenue);
        Assert.Equal(0.66, sentiment.Auc!.Value, 12);
        Assert.Equal((5, 5), (sentiment.Churned, sentiment.Retained));
    }
}
