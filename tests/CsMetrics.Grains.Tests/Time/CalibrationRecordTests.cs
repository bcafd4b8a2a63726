using CsMetrics.Contracts.Calibration;
using CsMetrics.Grains.Accounts;
using CsMetrics.Scoring.Aggregates;
using CsMetrics.Scoring.Signals;
using static CsMetrics.Grains.Tests.Cluster.Sig;

namespace CsMetrics.Grains.Tests.Time;

/// <summary>What calibration rests on: the account's daily snapshots (bounded) and the shards' churn reports (persisted, ordered by revision).</summary>
[Collection(TimeClusterCollection.Name)]
public sealed class CalibrationRecordTests(TimeClusterFixture fixture)
{
    private static CalibrationWindow WindowAt(int predictionDay, DateTimeOffset from, DateTimeOffset to) => new(from, to, predictionDay, [30, 60, 90]);

    [Fact]
    public async Task Snapshots_keep_the_last_460_days_and_the_one_in_force_at_the_cut_off()
    {
        string id = NewAccount("cal-cap");
        var grain = fixture.Account(id);
        var day0 = fixture.AdvanceToNextDay();
        int first = DayNumber.Of(day0);
        // MRR 1000 and a respondent who flips between promoter (green) and detractor (red) every day for 470 days.
        await grain.Apply(Batch(Revenue(id, "r0", day0, 1000)));
        for (int d = 0; d < 470; d++)
        {
            var at = fixture.Time.GetUtcNow();
            await grain.Apply(Batch(Survey(id, $"s{d}", at, SurveyKind.Nps, d % 2 == 0 ? 10 : 2, "pat")));
            fixture.Time.Advance(TimeSpan.FromDays(1));
        }
        int last = first + 469;
        var window = WindowAt(0, fixture.Time.GetUtcNow().AddDays(-1), fixture.Time.GetUtcNow());

        // Day 469 (odd): red. The cut-off is day 469 − 460 = day 9 (odd, red): kept, it is in force then.
        Assert.Equal("red", (await grain.GetCalibrationPoint(window with { PredictionDay = last })).Band);
        Assert.Equal("red", (await grain.GetCalibrationPoint(window with { PredictionDay = first + 9 })).Band);
        Assert.Equal("green", (await grain.GetCalibrationPoint(window with { PredictionDay = first + 10 })).Band);
        // Day 8 and before are gone: unknown rather than a wrong band.
        var gone = await grain.GetCalibrationPoint(window with { PredictionDay = first + 8 });
        Assert.Null(gone.Band);
        Assert.Empty(gone.Components);

        // Components come back by name, in scorecard order: sentiment 0 on a detractor day, revenue 75 (MRR unchanged).
        var point = await grain.GetCalibrationPoint(window with { PredictionDay = last });
        Assert.Equal([new ComponentValue("sentiment", 0), new ComponentValue("revenue", 75)], point.Components);
        Assert.True(point.Paying);
        Assert.False(point.ChurnedInWindow);

        // Snapshots are state: they survive deactivation.
        await fixture.Cluster.DeactivateAsync(grain);
        Assert.Equal("green", (await grain.GetCalibrationPoint(window with { PredictionDay = first + 10 })).Band);
    }

    [Fact]
    public async Task A_shard_keeps_the_newest_report_per_account_forgets_an_account_without_churn_and_survives_deactivation()
    {
        var shard = fixture.Client.GetGrain<ICalibrationShard>(3);
        string id = NewAccount("cal-shard");
        var churn = new DateTimeOffset(2020, 5, 20, 10, 0, 0, TimeSpan.Zero);
        int churnDay = DayNumber.Of(churn);
        CalibrationDay[] days = [new(churnDay - 100, "green", 1, [80f]), new(churnDay - 45, "red", 1, [20f])];
        ComponentNames[] names = [new(1, ["engagement"])];
        var window = WindowAt(churnDay - 50, churn.AddDays(-49), churn.AddDays(1));

        await shard.Report(new ChurnReport(id, 10, [churn], days, names));
        // An older report arriving late changes nothing.
        await shard.Report(new ChurnReport(id, 9, [], [], []));
        // Reports are one-way: read until this one is in.
        var mine = (await Cluster.Poll.Until(() => shard.Churned(window), cs => cs.Any(c => c.AccountId == id))).Single(c => c.AccountId == id);
        // 30 days before: red since day −45; 60 and 90 days before: green since day −100.
        Assert.Equal(new string?[] { "red", "green", "green" }, mine.BandsBefore);
        Assert.Equal("green", mine.BandAtPrediction); // day −50
        Assert.Equal([new ComponentValue("engagement", 80)], mine.ComponentsAtPrediction);
        Assert.Equal(churn, mine.ChurnedAt);

        // A window that ends before the churn does not list it.
        Assert.DoesNotContain(await shard.Churned(window with { To = churn.AddTicks(-1) }), c => c.AccountId == id);

        await shard.Checkpoint();
        await fixture.Cluster.DeactivateAsync(shard);
        Assert.Contains(await shard.Churned(window), c => c.AccountId == id);

        // Reactivated and no churn left in the timeline: the newer empty report removes it.
        await shard.Report(new ChurnReport(id, 11, [], [], []));
        Assert.DoesNotContain(await Cluster.Poll.Until(() => shard.Churned(window), cs => cs.All(c => c.AccountId != id)), c => c.AccountId == id);
    }

    [Fact]
    public async Task An_account_reports_its_churn_by_event_time_even_when_history_arrives_out_of_order()
    {
        string id = NewAccount("cal-report");
        var grain = fixture.Account(id);
        var now = fixture.AdvanceToNextDay();
        var shard = fixture.Client.GetGrain<ICalibrationShard>(Contracts.Index.AccountIndex.ShardOf(id));
        var window = WindowAt(DayNumber.Of(now) - 31, now.AddDays(-30), now);

        // The cancellation arrives first: MRR 0 with nothing before it is no churn.
        await grain.Apply(Batch(Revenue(id, "r2", now.AddDays(-10), 0)));
        // Then the subscription it ended: 1000 at day −20 → 0 at day −10 is a churn at day −10.
        await grain.Apply(Batch(Revenue(id, "r1", now.AddDays(-20), 1000)));
        var churned = await Cluster.Poll.Until(() => shard.Churned(window), cs => cs.Any(c => c.AccountId == id));
        Assert.Equal(now.AddDays(-10), churned.Single(c => c.AccountId == id).ChurnedAt);

        // Reactivated at day −5 and churned again at day −2: the first churn in the window is the one asked about.
        await grain.Apply(Batch(Revenue(id, "r3", now.AddDays(-5), 800)));
        await grain.Apply(Batch(Revenue(id, "r4", now.AddDays(-2), 0)));
        var again = await Cluster.Poll.Until(() => shard.Churned(window), cs => cs.Any(c => c.AccountId == id));
        Assert.Equal(now.AddDays(-10), again.Single(c => c.AccountId == id).ChurnedAt);
        // A window that opens after the first churn sees the second.
        var later = await Cluster.Poll.Until(() => shard.Churned(window with { From = now.AddDays(-4) }), cs => cs.Any(c => c.AccountId == id));
        Assert.Equal(now.AddDays(-2), later.Single(c => c.AccountId == id).ChurnedAt);
    }
}
