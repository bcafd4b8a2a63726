using CsMetrics.Grains.Tests.Support;
using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Signals;
using CsMetrics.Grains.Accounts;
using CsMetrics.Scoring.Signals;
using static CsMetrics.Grains.Tests.Cluster.Sig;

namespace CsMetrics.Grains.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class AccountGrainTests(ClusterFixture fixture)
{
    [Fact]
    public async Task The_listing_goes_to_the_index_only_when_something_it_shows_changed()
    {
        string id = NewAccount();
        var now = fixture.Time.GetUtcNow();
        var grain = fixture.Account(id);

        var first = await grain.ApplyAndList(Batch(Usage(id, "u1", now.AddMinutes(-10), "alice", "reports.export")));
        Assert.NotNull(first.Listing);

        // Earlier the same day, same user and feature: the score, its reason, the last usage and
        // the week's trend all stay as listed, so there is nothing to send.
        var same = await grain.ApplyAndList(Batch(Usage(id, "u2", now.AddMinutes(-20), "alice", "reports.export")));
        Assert.Equal((1, 0), ApplyCounts.Of(same));
        Assert.Null(same.Listing);

        var moved = await grain.ApplyAndList(Batch(Ticket(id, "t1", now.AddMinutes(-5), "T-1", TicketStatus.Opened, TicketPriority.Urgent)));
        Assert.NotNull(moved.Listing);
        Assert.True(moved.Listing.Revision > first.Listing.Revision);
        Assert.True(moved.Listing.Score < first.Listing.Score);
        Assert.Equal(first.Listing.Trend.Length, moved.Listing.Trend.Length);
        Assert.Equal(moved.Listing.Score, moved.Listing.Trend[^1]);
    }

    [Fact]
    public async Task Apply_counts_each_type_and_skips_duplicate_ids_within_and_across_batches()
    {
        string id = NewAccount();
        var now = fixture.Time.GetUtcNow();
        var grain = fixture.Account(id);

        var first = await grain.Apply(Batch(
            Usage(id, "u1", now.AddMinutes(-10), "alice", "reports.export"),
            Usage(id, "u2", now.AddMinutes(-9), "bob", "dashboards.create"),
            Usage(id, "u1", now.AddMinutes(-10), "alice", "reports.export"),
            Ticket(id, "t1", now.AddMinutes(-8), "T-1", TicketStatus.Opened),
            Survey(id, "s1", now.AddMinutes(-7), SurveyKind.Nps, 9, "r1"),
            Revenue(id, "m1", now.AddMinutes(-6), 1000m)));
        Assert.Equal((5, 1), ApplyCounts.Of(first));

        var second = await grain.Apply(Batch(
            Usage(id, "u2", now.AddMinutes(-9), "bob", "dashboards.create"),
            Survey(id, "s2", now.AddMinutes(-1), SurveyKind.Csat, 5),
            Ticket(id, "t1", now.AddMinutes(-8), "T-1", TicketStatus.Opened)));
        Assert.Equal((1, 2), ApplyCounts.Of(second));

        var view = await grain.GetView();
        Assert.NotNull(view);
        Assert.Equal(new SignalCounts(2, 1, 2, 1), view.SignalCounts);
        Assert.Equal(6, view.SignalCounts.Total);
        Assert.Equal(now.AddMinutes(-1), view.LastSignalAt);
        int changes = view.RecentChanges.Length;

        // A batch of nothing but re-sends changes nothing at all.
        var replay = await grain.Apply(Batch(
            Usage(id, "u1", now.AddMinutes(-10), "alice", "reports.export"),
            Revenue(id, "m1", now.AddMinutes(-6), 1000m)));
        Assert.Equal((0, 2), ApplyCounts.Of(replay));
        var after = await grain.GetView();
        Assert.Equal(view.SignalCounts, after!.SignalCounts);
        Assert.Equal(view.Health.Score, after.Health.Score);
        Assert.Equal(changes, after.RecentChanges.Length);
    }

    [Fact]
    public async Task Usage_only_scores_engagement_and_adoption_and_leaves_the_other_components_out()
    {
        string id = NewAccount();
        var now = fixture.Time.GetUtcNow();
        var grain = fixture.Account(id);

        await grain.Apply(Batch(
            Usage(id, "u1", now, "alice", "reports.export"),
            Usage(id, "u2", now, "bob", "dashboards.create")));
        var view = (await grain.GetView())!;

        // No seats: active users per seat has no value; trend (first week) and recency are perfect.
        Assert.Equal(new ComponentView("engagement", 100, 30, true), view.Component("engagement"));
        // Two of four key features for full adoption.
        Assert.Equal(new ComponentView("adoption", 50, 20, true), view.Component("adoption"));
        Assert.Equal(new ComponentView("support", null, 20, false), view.Component("support"));
        Assert.Equal(new ComponentView("sentiment", null, 15, false), view.Component("sentiment"));
        Assert.Equal(new ComponentView("revenue", null, 15, false), view.Component("revenue"));
        // Left-out weights are re-normalised: (100·30 + 50·20) / 50.
        Assert.Equal(80, view.Health.Score);
        Assert.Equal("green", view.Health.Band);
        Assert.Equal(1, view.Health.ScorecardVersion);
        Assert.Equal(now, view.Health.UpdatedAt);

        // Newest first: u2 moved adoption 25 → 50 and the score 70 → 80.
        Assert.Equal(2, view.RecentChanges.Length);
        var latest = view.RecentChanges[0];
        Assert.Equal("u2", latest.SignalId);
        Assert.Equal("usage", latest.SignalType);
        Assert.Equal(70, latest.Before);
        Assert.Equal(80, latest.After);
        Assert.Equal("green", latest.BandBefore);
        Assert.Equal("green", latest.BandAfter);
        Assert.Equal(now, latest.At);
        Assert.Equal(new ComponentChange("adoption", 25, 50), latest.Component("adoption"));
        Assert.Equal(new ComponentChange("engagement", 100, 100), latest.Component("engagement"));
        Assert.Equal(new ComponentChange("support", null, null), latest.Component("support"));
        Assert.Equal(5, latest.Components.Length);
        Assert.Equal("usage of dashboards.create: adoption 25 → 50", latest.Reason);

        var first = view.RecentChanges[1];
        Assert.Equal("u1", first.SignalId);
        Assert.Null(first.Before);
        Assert.Null(first.BandBefore);
        Assert.Equal(70, first.After);
        Assert.Equal("green", first.BandAfter);
        Assert.Equal(new ComponentChange("engagement", null, 100), first.Component("engagement"));
        Assert.Equal(new ComponentChange("adoption", null, 25), first.Component("adoption"));
        Assert.Equal("usage of reports.export: engagement now 100", first.Reason);

        Assert.NotNull(view.Health.Explanation);
        Assert.Equal("u2", view.Health.Explanation.SignalId);
        Assert.Equal(80, view.Health.Explanation.After);

        // A signal that moves nothing visible adds no explanation.
        await grain.Apply(Batch(Usage(id, "u3", now, "alice", "reports.export")));
        var unchanged = (await grain.GetView())!;
        Assert.Equal(80, unchanged.Health.Score);
        Assert.Equal(2, unchanged.RecentChanges.Length);
        Assert.Equal("u2", unchanged.Health.Explanation!.SignalId);
        Assert.Equal(3, unchanged.SignalCounts.Usage);
    }

    [Fact]
    public async Task Recent_changes_keep_only_the_newest_first()
    {
        string id = NewAccount();
        var now = fixture.Time.GetUtcNow();
        var grain = fixture.Account(id);
        const int Sent = AccountGrain.RecentChangesKept + 5;

        // MRR falls 1 % a step from 1000: each step moves the revenue score 2.5 points (75, 72.5, …).
        for (int i = 0; i < Sent; i++)
        {
            var result = await grain.Apply(Batch(Revenue(id, $"rev-{i}", now.AddMinutes(-Sent + i), 1000m - 10m * i)));
            Assert.Equal((1, 0), ApplyCounts.Of(result));
        }

        var view = (await grain.GetView())!;
        Assert.Equal(AccountGrain.RecentChangesKept, view.RecentChanges.Length);
        Assert.Equal(
            Enumerable.Range(Sent - AccountGrain.RecentChangesKept, AccountGrain.RecentChangesKept).Reverse().Select(i => $"rev-{i}"),
            view.RecentChanges.Select(c => c.SignalId));
        for (int k = 0; k + 1 < view.RecentChanges.Length; k++)
        {
            Assert.Equal(view.RecentChanges[k + 1].After, view.RecentChanges[k].Before);
        }
        double expected = 75 - 2.5 * (Sent - 1);
        Assert.Equal(expected, view.Health.Score);
        Assert.Equal(expected, view.RecentChanges[0].After);
        Assert.Equal(new ComponentChange("revenue", expected + 2.5, expected), view.RecentChanges[0].Component("revenue"));
        Assert.Equal("red", view.Health.Band);
        Assert.Equal(Sent, view.SignalCounts.Revenue);
    }

    [Fact]
    public async Task A_ticket_solved_before_its_older_opened_event_arrives_is_not_open()
    {
        var now = fixture.Time.GetUtcNow();

        // Out of order: the later "solved" arrives first, its older "opened" afterwards.
        string late = NewAccount();
        var lateGrain = fixture.Account(late);
        await lateGrain.Apply(Batch(Ticket(late, "t-solved", now.AddHours(-1), "T-9", TicketStatus.Solved, TicketPriority.Urgent)));
        await lateGrain.Apply(Batch(Ticket(late, "t-opened", now.AddHours(-5), "T-9", TicketStatus.Opened, TicketPriority.Urgent)));
        var view = (await lateGrain.GetView())!;

        // Nothing open (100), no urgent open (100), one solved and none reopened (100).
        Assert.Equal(new ComponentView("support", 100, 20, true), view.Component("support"));
        Assert.Equal(100, view.Health.Score);
        Assert.Equal(2, view.SignalCounts.Ticket);

        // In order, the open urgent ticket hurts until it is solved: the same end state.
        string inOrder = NewAccount();
        var grain = fixture.Account(inOrder);
        await grain.Apply(Batch(Ticket(inOrder, "t-opened", now.AddHours(-5), "T-9", TicketStatus.Opened, TicketPriority.Urgent)));
        var open = (await grain.GetView())!;
        // Weighted open 4 of 8 → 50, one urgent open → 30: (50·2 + 30·2) / 4.
        Assert.Equal(40, open.Component("support").Score);
        Assert.Equal("yellow", open.Health.Band);
        await grain.Apply(Batch(Ticket(inOrder, "t-solved", now.AddHours(-1), "T-9", TicketStatus.Solved, TicketPriority.Urgent)));
        var solved = (await grain.GetView())!;
        Assert.Equal(view.Component("support"), solved.Component("support"));
        Assert.Equal(new ComponentChange("support", 40, 100), solved.Health.Explanation!.Component("support"));
    }

    [Fact]
    public async Task Older_usage_and_nps_answers_arriving_late_do_not_override_newer_ones()
    {
        string id = NewAccount();
        var now = fixture.Time.GetUtcNow();
        var grain = fixture.Account(id);

        await grain.Apply(Batch(
            Usage(id, "u-new", now, "alice"),
            Survey(id, "nps-new", now, SurveyKind.Nps, 10, "r1")));
        await grain.Apply(Batch(
            Usage(id, "u-old", now.AddDays(-10), "alice"),
            Survey(id, "nps-old", now.AddDays(-10), SurveyKind.Nps, 0, "r1")));
        var view = (await grain.GetView())!;

        // The respondent's latest answer (10, a promoter) stands: NPS 100 → sentiment 100.
        Assert.Equal(100, view.Component("sentiment").Score);
        // Last usage is still today (recency 100) and the old event counts as prior usage, so the
        // trend is up (capped at 100): engagement stays perfect.
        Assert.Equal(100, view.Component("engagement").Score);
        Assert.Equal(now, view.LastSignalAt);
        Assert.Equal(new SignalCounts(2, 0, 2, 0), view.SignalCounts);
    }

    [Fact]
    public async Task Registering_before_signals_fills_metadata_and_seats_then_rescore_engagement()
    {
        string id = NewAccount();
        var now = fixture.Time.GetUtcNow();
        var grain = fixture.Account(id);
        var renewal = new DateOnly(2026, 1, 31);

        var registered = await grain.Register(new AccountProfile("Acme", "olivia", "enterprise", 4, renewal));
        Assert.Equal(id, registered.AccountId);
        Assert.Equal("Acme", registered.Name);
        Assert.Equal("olivia", registered.Owner);
        Assert.Equal("enterprise", registered.Segment);
        Assert.Equal(4, registered.Seats);
        Assert.Equal(renewal, registered.RenewalDate);
        Assert.Null(registered.Health.Score);
        Assert.Null(registered.Health.Band);
        Assert.Equal(0, registered.SignalCounts.Total);
        Assert.Equal(5, registered.Health.Components.Length);
        Assert.All(registered.Health.Components, c => Assert.False(c.Included));
        Assert.Empty(registered.RecentChanges);
        Assert.NotNull(await grain.GetView());

        await grain.Apply(Batch(Usage(id, "u1", now, "alice"), Usage(id, "u2", now, "bob")));
        var used = (await grain.GetView())!;
        // 2 of 4 seats active: 0.5 / 0.6 → 83.3; trend and recency 100: (83.3·2 + 100 + 100) / 4.
        Assert.Equal(91.7, used.Component("engagement").Score);
        Assert.Equal("Acme", used.Name);

        // Fewer seats: the same two users are now everyone.
        var resized = await grain.Register(new AccountProfile("Acme", "olivia", "enterprise", 2, renewal));
        Assert.Equal(2, resized.Seats);
        Assert.Equal(100, resized.Component("engagement").Score);
        // Engagement 100, adoption 0 (no key feature): (100·30 + 0·20) / 50.
        Assert.Equal(60, resized.Health.Score);
        var change = resized.Health.Explanation!;
        Assert.Null(change.SignalId);
        Assert.Equal("reevaluation", change.SignalType);
        Assert.Equal(new ComponentChange("engagement", 91.7, 100), change.Component("engagement"));
        Assert.Equal(used.Health.Score, change.Before);
        Assert.Equal(60, change.After);
        Assert.Equal(resized.Health.Score, (await grain.GetView())!.Health.Score);
    }

    [Fact]
    public async Task Registering_after_signals_fills_metadata_and_rescoring_uses_the_seats()
    {
        string id = NewAccount();
        var now = fixture.Time.GetUtcNow();
        var grain = fixture.Account(id);

        await grain.Apply(Batch(Usage(id, "u1", now, "alice", "reports.export")));
        var before = (await grain.GetView())!;
        Assert.Null(before.Name);
        Assert.Equal(0, before.Seats);
        // No seats: engagement is trend and recency only.
        Assert.Equal(100, before.Component("engagement").Score);

        var view = await grain.Register(new AccountProfile("Globex", "omar", "smb", 4, null));
        Assert.Equal("Globex", view.Name);
        Assert.Equal("omar", view.Owner);
        Assert.Equal("smb", view.Segment);
        Assert.Equal(4, view.Seats);
        Assert.Null(view.RenewalDate);
        Assert.Equal(1, view.SignalCounts.Usage);
        // 1 of 4 seats: 0.25 / 0.6 → 41.7: (41.7·2 + 100 + 100) / 4.
        Assert.Equal(70.8, view.Component("engagement").Score);
        Assert.Equal(new ComponentChange("engagement", 100, 70.8), view.Health.Explanation!.Component("engagement"));
        Assert.Equal(2, view.RecentChanges.Length);
    }

    [Fact]
    public async Task An_unknown_account_has_no_view()
    {
        var grain = fixture.Account(NewAccount());
        Assert.Null(await grain.GetView());
        await grain.Checkpoint();
        Assert.Null(await grain.GetView());
    }

    [Fact]
    public async Task Engagement_falls_as_usage_windows_roll_while_other_signals_keep_arriving()
    {
        string id = NewAccount();
        var grain = fixture.Account(id);
        await grain.Register(new AccountProfile("Initech", "olivia", "smb", 1, null));

        var day0 = fixture.Time.GetUtcNow();
        await grain.Apply(Batch(Usage(id, "u1", day0, "alice", "reports.export")));
        var fresh = (await grain.GetView())!;
        Assert.Equal(100, fresh.Component("engagement").Score);
        Assert.Equal(25, fresh.Component("adoption").Score);
        Assert.Equal(70, fresh.Health.Score);

        // Day 3: the user is still weekly-active and the trend still counts the event; recency drops to 60.
        fixture.Time.Advance(TimeSpan.FromDays(3));
        var day3 = fixture.Time.GetUtcNow();
        await grain.Apply(Batch(Ticket(id, "t1", day3, "T-1", TicketStatus.Opened)));
        var view = (await grain.GetView())!;
        Assert.Equal(new ComponentView("engagement", 90, 30, true), view.Component("engagement"));
        // One normal ticket open: weighted 1 of 8 → 87.5, no urgent → 100: (87.5·2 + 100·2) / 4.
        Assert.Equal(93.8, view.Component("support").Score);
        Assert.Equal(72.5, view.Health.Score);
        Assert.Equal(day3, view.Health.UpdatedAt);
        var change = view.Health.Explanation!;
        Assert.Equal("t1", change.SignalId);
        Assert.Equal(new ComponentChange("engagement", 100, 90), change.Component("engagement"));
        Assert.Equal(new ComponentChange("support", null, 93.8), change.Component("support"));

        // Day 10: nobody active this week (0), no usage in the last 7 days against a prior week (0), 10 days silent (25).
        fixture.Time.Advance(TimeSpan.FromDays(7));
        await grain.Apply(Batch(Survey(id, "s1", fixture.Time.GetUtcNow(), SurveyKind.Csat, 5)));
        view = (await grain.GetView())!;
        Assert.Equal(new ComponentView("engagement", 6.3, 30, true), view.Component("engagement"));
        Assert.Equal(25, view.Component("adoption").Score);
        Assert.Equal(100, view.Component("sentiment").Score);
        Assert.Equal(47.8, view.Health.Score);
        Assert.Equal("yellow", view.Health.Band);
        Assert.Equal(new ComponentChange("engagement", 90, 6.3), view.Health.Explanation!.Component("engagement"));

        // Day 15: two weeks silent scores 0, but usage stopping is still a measured fact.
        fixture.Time.Advance(TimeSpan.FromDays(5));
        await grain.Apply(Batch(Revenue(id, "m1", fixture.Time.GetUtcNow(), 500m)));
        view = (await grain.GetView())!;
        Assert.Equal(new ComponentView("engagement", 0, 30, true), view.Component("engagement"));
        Assert.Equal(1, view.SignalCounts.Usage);
    }

    [Fact]
    public async Task Recent_signals_are_the_last_twenty_accepted_newest_first_across_batches()
    {
        string id = NewAccount();
        var now = fixture.Time.GetUtcNow();
        var grain = fixture.Account(id);
        var first = Enumerable.Range(0, 30).Select(n => Usage(id, $"a{n}", now.AddMinutes(n - 60), "alice", "reports.export")).ToList();
        // Re-sends in the part that would be remembered: they are duplicates, not recent signals.
        first.Insert(25, Usage(id, "a24", now.AddMinutes(-36), "alice", "reports.export"));
        first.Add(Usage(id, "a29", now.AddMinutes(-31), "alice", "reports.export"));

        var result = await grain.Apply(Batch([.. first]));
        Assert.Equal((30, 2), ApplyCounts.Of(result));
        var view = (await grain.GetView())!;
        Assert.Equal(Enumerable.Range(10, 20).Reverse().Select(n => $"a{n}"), view.RecentSignals.Select(s => s.Id));

        // A small batch pushes out as many of the oldest.
        await grain.Apply(Batch(Usage(id, "b0", now, "bob", "dashboards.view"), Usage(id, "a10", now, "alice", "reports.export"), Usage(id, "b1", now, "bob", "dashboards.view")));
        view = (await grain.GetView())!;
        Assert.Equal(new[] { "b1", "b0" }.Concat(Enumerable.Range(12, 18).Reverse().Select(n => $"a{n}")), view.RecentSignals.Select(s => s.Id));
        Assert.All(view.RecentSignals, s => Assert.Equal(now, s.AppliedAt));
    }
}
