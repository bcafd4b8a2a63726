using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Index;
using CsMetrics.Grains.Sweeps;
using CsMetrics.Grains.Tests.Cluster;
using Microsoft.Extensions.DependencyInjection;
using static CsMetrics.Grains.Tests.Cluster.Sig;

namespace CsMetrics.Grains.Tests.Time;

/// <summary>
/// Silence is a signal: with no usage arriving, the sweep through the index shards re-evaluates
/// accounts as days pass, and the date-dependent watchlists follow. The clock is a
/// <see cref="Microsoft.Extensions.Time.Testing.FakeTimeProvider"/>; sweeps are driven by the test.
/// </summary>
public sealed class SilenceSweepTests(SweepClusterFixture fixture) : IClassFixture<SweepClusterFixture>
{
    private static readonly TimeSpan Hourly = TimeSpan.FromHours(1);

    [Fact]
    public async Task Nine_silent_days_and_a_sweep_lower_the_score_and_explain_it_as_silence()
    {
        string id = NewAccount("quiet");
        var used = fixture.AdvanceToNextDay();
        var grain = fixture.Account(id);
        await Scenario.UsedToday(grain, id, used);
        var before = (await grain.GetView())!;
        Assert.Equal((70.0, "green"), (before.Health.Score!.Value, before.Health.Band));
        Assert.Equal(100, before.Component("engagement").Score);

        fixture.Time.Advance(TimeSpan.FromDays(9));
        var now = fixture.Time.GetUtcNow();
        // Nothing happens by itself: no signal, and the silo's own sweep interval is years.
        Assert.Equal(70, (await grain.GetView())!.Health.Score);

        var report = await fixture.Sweeper(Hourly).SweepOnceAsync();
        Assert.True(report.Touched >= 1, $"touched {report.Touched}");

        // Usage trend 0 (nothing in the last 7 days against a week that had usage), 9 days
        // silent → 25: engagement (0 + 25) / 2 = 12.5; adoption still 25 (30-day window):
        // (12.5·30 + 25·20) / 50 = 17.5, red.
        var after = (await grain.GetView())!;
        Assert.Equal((17.5, "red"), (after.Health.Score!.Value, after.Health.Band));
        Assert.Equal(12.5, after.Component("engagement").Score);
        Assert.Equal(25, after.Component("adoption").Score);
        Assert.Equal(now, after.Health.UpdatedAt);

        var why = after.Health.Explanation!;
        Assert.Equal("reevaluation", why.SignalType);
        Assert.Null(why.SignalId);
        Assert.Equal((70.0, 17.5), (why.Before!.Value, why.After!.Value));
        Assert.Equal(("green", "red"), (why.BandBefore, why.BandAfter));
        Assert.Equal(now, why.At);
        Assert.Equal("no usage for 9 days: engagement 100 → 12.5", why.Reason);
        Assert.Equal(new ComponentChange("engagement", 100, 12.5), why.Component("engagement"));
        Assert.Equal(new ComponentChange("adoption", 25, 25), why.Component("adoption"));
        Assert.Equal(why.Reason, after.RecentChanges[0].Reason);
        Assert.Equal(2, after.RecentChanges.Length);

        // The listing and the at-risk watchlist follow (one-way reports: poll briefly).
        var entry = await fixture.IndexEntryWhen(id, e => e.Score == 17.5);
        Assert.Equal(("red", now, "no usage for 9 days: engagement 100 → 12.5"), (entry!.Band, entry.UpdatedAt, entry.Reason));
        Assert.Equal(-52.5, entry.Delta7d);
        var atRisk = await fixture.WatchlistWhen("at-risk", w => w.Any(e => e.AccountId == id));
        Assert.Equal(17.5, atRisk.Single(e => e.AccountId == id).Score);

        // The history has both points.
        var history = await grain.GetHistory(used.AddDays(-1), now);
        Assert.Equal(
            [new HistoryPoint(used, 70, "green", 1), new HistoryPoint(now, 17.5, "red", 1)],
            history);
    }

    [Fact]
    public async Task A_sweep_wakes_only_accounts_not_evaluated_within_the_interval_and_a_second_sweep_finds_none()
    {
        var t0 = fixture.AdvanceToNextDay();
        string stale = NewAccount("stale"), recent = NewAccount("recent"), registered = NewAccount("registered");
        await Scenario.UsedToday(fixture.Account(stale), stale, t0);
        await fixture.Account(registered).Register(new AccountProfile("Registered only", "olivia", "smb", 0, null));
        await fixture.IndexEntryWhen(stale, e => e.Score == 70);
        await fixture.IndexEntryWhen(registered, e => e.Name == "Registered only");

        // Start from a clean slate: everything this cluster knows is swept now (interval zero = all due).
        var drained = await fixture.Sweeper(TimeSpan.Zero).SweepOnceAsync();
        int known = await fixture.IndexedAccounts();
        Assert.Equal(known, drained.Touched);
        Assert.Equal(0, (await fixture.Sweeper(Hourly).SweepOnceAsync()).Touched);

        // However short the interval, a round wakes each account once and ends (chunks of one
        // would otherwise find the accounts they just woke due again, forever).
        fixture.Time.Advance(TimeSpan.FromSeconds(1));
        var oneRound = await fixture.Sweeper(TimeSpan.Zero, chunkSize: 1).SweepOnceAsync();
        Assert.Equal(known, oneRound.Touched);

        // 90 minutes later the other account's score changes; 30 minutes after that the sweep runs.
        fixture.Time.Advance(TimeSpan.FromMinutes(90));
        var recentAt = fixture.Time.GetUtcNow();
        await Scenario.UsedToday(fixture.Account(recent), recent, recentAt);
        await fixture.IndexEntryWhen(recent, e => e.Score == 70);
        fixture.Time.Advance(TimeSpan.FromMinutes(30));
        var sweepAt = fixture.Time.GetUtcNow();

        // Chunks of one: each shard is called until it reports nothing more due.
        var report = await fixture.Sweeper(Hourly, chunkSize: 1).SweepOnceAsync();
        Assert.Equal(known, await fixture.IndexedAccounts() - 1);
        Assert.Equal(known, report.Touched); // everyone but the account evaluated 30 minutes ago

        // Evaluated: the stale account (same score two hours on, but evaluated now). Not: the recent one.
        var staleView = (await fixture.Account(stale).GetView())!;
        Assert.Equal(sweepAt, staleView.Health.UpdatedAt);
        Assert.Equal(70, staleView.Health.Score);
        Assert.Single(staleView.RecentChanges); // nothing visible moved, so no explanation was added
        var recentView = (await fixture.Account(recent).GetView())!;
        Assert.Equal(recentAt, recentView.Health.UpdatedAt);
        Assert.Equal("usage", recentView.Health.Explanation!.SignalType);

        // Right after, nothing is due; nor with the silo's own (years-long) interval.
        Assert.Equal(0, (await fixture.Sweeper(Hourly).SweepOnceAsync()).Touched);
        Assert.Equal(0, (await fixture.Silo(0).GetRequiredService<SilenceSweeper>().SweepOnceAsync()).Touched);
        var shard = fixture.Client.GetGrain<IAccountIndexShard>(AccountIndex.ShardOf(stale));
        Assert.Equal(new SweepResult(0, 0), await shard.Sweep(Hourly, 1000));

        // An hour after its own change the recent account is due, and only it (the others were swept at sweepAt).
        fixture.Time.Advance(TimeSpan.FromMinutes(35));
        Assert.Equal(1, (await fixture.Sweeper(Hourly).SweepOnceAsync()).Touched);
        Assert.Equal(fixture.Time.GetUtcNow(), (await fixture.Account(recent).GetView())!.Health.UpdatedAt);
        Assert.Equal(sweepAt, (await fixture.Account(stale).GetView())!.Health.UpdatedAt);
    }

    [Fact]
    public async Task The_silent_watchlist_takes_an_account_after_seven_days_without_usage_and_not_before()
    {
        var t0 = fixture.AdvanceToNextDay();
        string quiet = NewAccount("quiet"), earlier = NewAccount("earlier"), never = NewAccount("never");
        await Scenario.UsedToday(fixture.Account(quiet), quiet, t0);
        // This one's last usage was two days before the other's: it turns silent two days sooner.
        await fixture.Account(earlier).Apply(Batch(Usage(earlier, "e1", t0.AddDays(-2), "bob")));
        // An account that never sent usage has no silence to measure: it never shows up.
        await fixture.Account(never).Apply(Batch(Revenue(never, "m1", t0, 1000m)));
        await fixture.IndexEntryWhen(never, e => e.Score == 75);
        await fixture.IndexEntryWhen(earlier, e => e.Score == 60);
        var entry = await fixture.IndexEntryWhen(quiet, e => e.Score == 70);
        Assert.Equal(new DateTimeOffset(t0.UtcDateTime.Date, TimeSpan.Zero), entry!.LastUsageAt);

        string[] ours = [quiet, earlier, never];
        Assert.DoesNotContain(await fixture.Watchlist("silent"), e => ours.Contains(e.AccountId));

        // Five days on: "earlier" has been silent for 7 days and joins; "quiet" (5 days) does not.
        fixture.Time.Advance(TimeSpan.FromDays(5));
        await fixture.Sweeper(Hourly).SweepOnceAsync();
        var silent = await fixture.WatchlistWhen("silent", w => w.Any(e => e.AccountId == earlier));
        Assert.Contains(silent, e => e.AccountId == earlier);
        Assert.DoesNotContain(silent, e => e.AccountId == quiet || e.AccountId == never);
        // Engagement: silence 5 days → 60, trend still 100 (day 0 is in the last 7): 80 → (80·30 + 25·20) / 50.
        Assert.Equal(58, (await fixture.Account(quiet).GetView())!.Health.Score);

        // Day 6: still not.
        fixture.Time.Advance(TimeSpan.FromDays(1));
        await fixture.Sweeper(Hourly).SweepOnceAsync();
        Assert.Equal(58, (await fixture.Account(quiet).GetView())!.Health.Score);
        silent = await fixture.Watchlist("silent");
        Assert.Contains(silent, e => e.AccountId == earlier);
        Assert.DoesNotContain(silent, e => e.AccountId == quiet || e.AccountId == never);

        // Day 7: in.
        fixture.Time.Advance(TimeSpan.FromDays(1));
        await fixture.Sweeper(Hourly).SweepOnceAsync();
        // (The sweep's date re-check may publish the row before the re-score updates it: wait for the latter.)
        silent = await fixture.WatchlistWhen("silent", w => w.Any(e => e.AccountId == quiet && e.Score == 28));
        var row = silent.Single(e => e.AccountId == quiet);
        // Trend 0 now (the usage day left the last 7), silence 7 days → 60: engagement 30 → (30·30 + 500) / 50 = 28.
        Assert.Equal((28.0, "red"), (row.Score!.Value, row.Band));
        Assert.Equal("no usage for 7 days: engagement 80 → 30", row.Reason);
        Assert.DoesNotContain(silent, e => e.AccountId == never);
        Assert.Equal((28.0, "red"), ((await fixture.Account(quiet).GetView())!.Health.Score!.Value, (await fixture.Account(quiet).GetView())!.Health.Band));

        // Usage again: out of the list.
        await fixture.Account(quiet).Apply(Batch(Usage(quiet, "u2", fixture.Time.GetUtcNow(), "alice")));
        await fixture.WatchlistWhen("silent", w => w.All(e => e.AccountId != quiet));
        Assert.DoesNotContain(await fixture.Watchlist("silent"), e => e.AccountId == quiet);
    }

    [Fact]
    public async Task An_expired_override_of_a_busy_account_that_no_sweep_wakes_is_lifted_and_audited_at_its_next_signal()
    {
        var t0 = fixture.AdvanceToNextDay();
        string id = NewAccount("busy");
        var grain = fixture.Account(id);
        await Scenario.UsedToday(grain, id, t0);                                         // 70
        var expires = t0.AddHours(1);
        await grain.SetOverride(new ScoreOverride("red", null, "exec escalation", expires, "olivia"));

        // The score keeps moving (more key features), so the account is never due for a sweep.
        fixture.Time.Advance(TimeSpan.FromMinutes(50));
        await grain.Apply(Batch(Usage(id, "u2", fixture.Time.GetUtcNow(), "alice", "api.call")));          // 80
        fixture.Time.Advance(TimeSpan.FromMinutes(20));
        var now = fixture.Time.GetUtcNow();
        await grain.Apply(Batch(Usage(id, "u3", now, "alice", "alerts.configure")));                     // 90
        var shard = fixture.Client.GetGrain<IAccountIndexShard>(AccountIndex.ShardOf(id));
        await fixture.IndexEntryWhen(id, e => e.Score == 90);
        await shard.Sweep(Hourly, 1000);
        Assert.Equal(now, (await grain.GetView())!.Health.UpdatedAt); // not re-evaluated by the sweep

        var view = (await grain.GetView())!;
        Assert.Equal((90.0, "green", false), (view.Health.Score!.Value, view.Health.Band, view.Health.Overridden));
        Assert.Null(view.Health.Override);
        Assert.Equal(
            [
                new OverrideAudit("set", "red", null, "exec escalation", expires, "olivia", t0),
                new OverrideAudit("expired", "red", null, "exec escalation", expires, "system", now),
            ],
            view.OverrideAudit);
        var entry = await fixture.IndexEntryWhen(id, e => !e.Overridden);
        Assert.Equal((90.0, "green", false), (entry!.Score!.Value, entry.Band, entry.Overridden));
    }

    [Fact]
    public async Task A_sweep_lifts_an_expired_override()
    {
        var t0 = fixture.AdvanceToNextDay();
        string id = NewAccount("override");
        var grain = fixture.Account(id);
        await Scenario.UsedToday(grain, id, t0);
        await grain.SetOverride(new ScoreOverride("red", null, "exec escalation", t0.AddHours(6), "olivia"));
        await fixture.IndexEntryWhen(id, e => e.Overridden);

        fixture.Time.Advance(TimeSpan.FromHours(7));
        await fixture.Sweeper(Hourly).SweepOnceAsync();

        var view = (await grain.GetView())!;
        Assert.False(view.Health.Overridden);
        Assert.Null(view.Health.Override);
        Assert.Equal(["set", "expired"], view.OverrideAudit.Select(a => a.Action));
        Assert.Equal("system", view.OverrideAudit[1].By);
        var entry = await fixture.IndexEntryWhen(id, e => !e.Overridden);
        Assert.Equal((70.0, "green", false), (entry!.Score!.Value, entry.Band, entry.Overridden));
    }
}
