using CsMetrics.Contracts.Playbooks;
using CsMetrics.Grains.Tests.Cluster;
using CsMetrics.Scoring.Signals;
using static CsMetrics.Grains.Tests.Cluster.Sig;

namespace CsMetrics.Grains.Tests.Time;

/// <summary>A cluster of its own: the playbooks saved here are evaluated for every account on it.</summary>
public sealed class PlaybookClusterFixture : TimeClusterFixture;

/// <summary>
/// Time-based playbook triggers on the fake clock: an urgent ticket's wait runs out and a
/// detractor episode's period ends with no signal at all; the sweep (driven by the test) ticks
/// the evaluators. The test cluster has no delivery service, so every firing is logged as dead
/// with "no delivery service on this silo": the log counts firings.
/// </summary>
public sealed class TimedPlaybookTests(PlaybookClusterFixture fixture) : IClassFixture<PlaybookClusterFixture>
{
    private const string Nowhere = "http://127.0.0.1:9/";

    private async Task<string> SaveAsync(PlaybookTrigger trigger)
    {
        string id = $"pb-{Guid.NewGuid():N}"[..20];
        await fixture.Client.GetGrain<IPlaybookRegistry>(0).Put(new PlaybookDefinition(id, id, trigger, new PlaybookAction("webhook", Nowhere), 0));
        return id;
    }

    private Task<PlaybookDeliveryRecord[]> Firings(string playbookId, string accountId, int atLeast = 0) =>
        Poll.Until(
            async () => (await fixture.Client.GetGrain<IPlaybookGrain>(playbookId).GetDeliveries()).Where(d => d.AccountId == accountId).ToArray(),
            d => d.Length >= atLeast);

    /// <summary>
    /// A sweep round (it ends when the evaluators' ticks have), then a moment for the one-way
    /// listing changes of the accounts it re-evaluated, so an absence asserted next means something.
    /// </summary>
    private async Task SweepAsync()
    {
        await fixture.Sweeper(TimeSpan.FromHours(1)).SweepOnceAsync();
        await Task.Delay(300);
    }

    [Fact]
    public async Task An_urgent_ticket_fires_when_its_wait_runs_out_between_signals_once_per_episode()
    {
        var t0 = fixture.AdvanceToNextDay();
        string id = await SaveAsync(new PlaybookTrigger(PlaybookRules.UrgentUnanswered, Hours: 4));
        string acc = NewAccount("urgent");
        var grain = fixture.Account(acc);
        await SweepAsync();

        await grain.Apply(Batch(Ticket(acc, "s1", t0, "T-1", TicketStatus.Opened, TicketPriority.Urgent)));
        Assert.Equal(t0, (await fixture.IndexEntryWhen(acc, e => e.UrgentUnansweredSince is not null))!.UrgentUnansweredSince);

        fixture.Time.Advance(TimeSpan.FromHours(4) - TimeSpan.FromMinutes(1));
        await SweepAsync();
        Assert.Empty(await Firings(id, acc));

        fixture.Time.Advance(TimeSpan.FromMinutes(2));
        await SweepAsync();
        var fired = Assert.Single(await Firings(id, acc, 1));
        Assert.Equal(t0 + TimeSpan.FromHours(4) + TimeSpan.FromMinutes(1), fired.FiredAt);
        Assert.Equal((PlaybookDeliveryRecord.Dead, "no delivery service on this silo"), (fired.Status, fired.LastError));

        // The wait goes on: further ticks fire nothing.
        fixture.Time.Advance(TimeSpan.FromHours(2));
        await SweepAsync();
        Assert.Single(await Firings(id, acc));

        // Answered: the episode ends. A new urgent ticket waits 4 hours: a second firing.
        var answered = fixture.Time.GetUtcNow();
        await grain.Apply(Batch(Ticket(acc, "s2", answered, "T-1", TicketStatus.FirstResponse, TicketPriority.Urgent)));
        await fixture.IndexEntryWhen(acc, e => e.UrgentUnansweredSince is null);
        await grain.Apply(Batch(Ticket(acc, "s3", answered, "T-2", TicketStatus.Opened, TicketPriority.Urgent)));
        await fixture.IndexEntryWhen(acc, e => e.UrgentUnansweredSince == answered);
        fixture.Time.Advance(TimeSpan.FromHours(4));
        await SweepAsync();
        var both = await Firings(id, acc, 2);
        Assert.Equal([answered + TimeSpan.FromHours(4), t0 + TimeSpan.FromHours(4) + TimeSpan.FromMinutes(1)], both.Select(f => f.FiredAt));
    }

    [Fact]
    public async Task A_detractor_episode_ends_after_its_period_so_the_next_detractor_answer_fires_again()
    {
        var t0 = fixture.AdvanceToNextDay();
        string id = await SaveAsync(new PlaybookTrigger(PlaybookRules.NpsDetractor, Days: 1));
        string acc = NewAccount("detractor");
        var grain = fixture.Account(acc);

        await grain.Apply(Batch(Survey(acc, "n1", t0, SurveyKind.Nps, 3, respondent: "ann")));
        Assert.Equal(t0, Assert.Single(await Firings(id, acc, 1)).FiredAt);

        // Within the period, another detractor answer changes nothing.
        fixture.Time.Advance(TimeSpan.FromHours(12));
        await grain.Apply(Batch(Survey(acc, "n2", fixture.Time.GetUtcNow(), SurveyKind.Nps, 5, respondent: "bob")));
        await fixture.IndexEntryWhen(acc, e => e.LatestDetractorAt == fixture.Time.GetUtcNow());
        await SweepAsync();
        Assert.Single(await Firings(id, acc));

        // A day after the latest detractor answer the episode is over (a tick notices, no signal needed)…
        fixture.Time.Advance(TimeSpan.FromDays(1));
        await SweepAsync();
        Assert.Single(await Firings(id, acc));

        // …so the next detractor answer is a new episode.
        var again = fixture.Time.GetUtcNow();
        await grain.Apply(Batch(Survey(acc, "n3", again, SurveyKind.Nps, 0, respondent: "cid")));
        Assert.Equal([again, t0], (await Firings(id, acc, 2)).Select(f => f.FiredAt));
    }
}
