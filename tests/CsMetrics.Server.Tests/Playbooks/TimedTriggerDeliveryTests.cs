using System.Globalization;
using System.Text.Json.Nodes;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Playbooks;

/// <summary>A playbook server whose sweep ticks every second, so waits that run out with time alone are noticed quickly.</summary>
public sealed class TimedPlaybookServerFixture : PlaybookServerFixture
{
    protected override Dictionary<string, string?> Settings()
    {
        var settings = base.Settings();
        settings["CsMetrics:Sweep:Interval"] = "00:00:01";
        return settings;
    }
}

/// <summary>
/// The triggers "a detractor NPS answer" and "an urgent ticket without first response for N hours"
/// end to end (docs/playbooks.md), against the real local receiver: one POST per episode, nothing
/// while it goes on, another once it ended and started anew.
/// </summary>
public sealed class TimedTriggerDeliveryTests(TimedPlaybookServerFixture server) : IClassFixture<TimedPlaybookServerFixture>
{
    private readonly PlaybookProbe _probe = new(server);

    private static JsonObject Nps(string acc, int score, string respondent, DateTimeOffset at) =>
        Survey(acc, "nps", score, at: at, respondentId: respondent);

    private static JsonObject Urgent(string acc, string ticketId, string status, DateTimeOffset at) =>
        Ticket(acc, ticketId: ticketId, status: status, priority: "urgent", at: at);

    [Fact]
    public async Task A_detractor_answer_posts_once_per_episode_which_ends_when_no_respondent_is_a_detractor_any_more()
    {
        string path = $"/ok/{Guid.NewGuid():N}";
        string id = await _probe.DefineAsync(new { type = "nps_detractor" }, path);
        try
        {
            string acc = NewAccountId("pb-nps");
            var t = DateTimeOffset.UtcNow.AddMinutes(-30);
            await _probe.PostAsync(Nps(acc, 9, "ann", t));
            await Task.Delay(PlaybookProbe.Quiet); // a promoter starts nothing
            Assert.Empty(_probe.Received(path, acc));

            await _probe.PostAsync(Nps(acc, 3, "bob", t.AddMinutes(1)));
            var first = Assert.Single(await _probe.PostsAsync(path, acc, 1));
            Assert.Equal(id, first["playbookId"]!.GetValue<string>());
            Assert.Equal("""{"type":"nps_detractor"}""", first["trigger"]!.ToJsonString());

            // While a detractor answer stands: more detractor answers (the same or another respondent) send nothing.
            await _probe.PostAsync(Nps(acc, 2, "bob", t.AddMinutes(2)), Nps(acc, 6, "cid", t.AddMinutes(3)));
            // Both change their minds: the episode ends, still nothing sent.
            await _probe.PostAsync(Nps(acc, 8, "bob", t.AddMinutes(4)), Nps(acc, 10, "cid", t.AddMinutes(5)));
            await Task.Delay(PlaybookProbe.Quiet);
            Assert.Single(_probe.Received(path, acc));

            // A new detractor answer starts a new episode.
            await _probe.PostAsync(Nps(acc, 0, "ann", t.AddMinutes(6)));
            var posts = await _probe.PostsAsync(path, acc, 2);
            await Task.Delay(PlaybookProbe.Quiet);
            Assert.Equal(2, _probe.Received(path, acc).Length);
            var delivered = await PlaybookProbe.EventuallyAsync(() => _probe.DeliveriesAsync(id, acc),
                d => d.Length == 2 && d.All(x => x["status"]!.GetValue<string>() == "delivered"), "two deliveries");
            Assert.Equal(2, delivered.Length);
            Assert.True(Fired(posts[1]) > Fired(posts[0]));
        }
        finally
        {
            await _probe.DeleteAsync(id);
        }
    }

    [Fact]
    public async Task A_detractor_answer_older_than_the_period_starts_nothing()
    {
        string path = $"/ok/{Guid.NewGuid():N}";
        string id = await _probe.DefineAsync(new { type = "nps_detractor", days = 1 }, path);
        try
        {
            string acc = NewAccountId("pb-nps-old");
            await _probe.PostAsync(Nps(acc, 1, "ann", DateTimeOffset.UtcNow.AddDays(-2)));
            await Task.Delay(PlaybookProbe.Quiet);
            Assert.Empty(_probe.Received(path, acc));

            await _probe.PostAsync(Nps(acc, 1, "bob", DateTimeOffset.UtcNow.AddMinutes(-1)));
            Assert.Single(await _probe.PostsAsync(path, acc, 1));
        }
        finally
        {
            await _probe.DeleteAsync(id);
        }
    }

    [Fact]
    public async Task An_urgent_ticket_waiting_past_the_hours_posts_once_and_again_after_an_answer_and_a_new_wait()
    {
        string path = $"/ok/{Guid.NewGuid():N}";
        string id = await _probe.DefineAsync(new { type = "urgent_unanswered", hours = 4 }, path);
        try
        {
            string acc = NewAccountId("pb-urgent");
            var now = DateTimeOffset.UtcNow;
            // Urgent for 3 hours, and a normal ticket waiting 9: neither counts.
            await _probe.PostAsync(Urgent(acc, "T-1", "opened", now.AddHours(-3)), Ticket(acc, ticketId: "T-0", at: now.AddHours(-9)));
            await Task.Delay(PlaybookProbe.Quiet);
            Assert.Empty(_probe.Received(path, acc));

            await _probe.PostAsync(Urgent(acc, "T-2", "opened", now.AddHours(-5)));
            var first = Assert.Single(await _probe.PostsAsync(path, acc, 1));
            Assert.Equal("""{"type":"urgent_unanswered","hours":4}""", first["trigger"]!.ToJsonString());

            // Another waiting urgent ticket while the episode goes on: nothing.
            await _probe.PostAsync(Urgent(acc, "T-3", "opened", now.AddHours(-6)));
            // Every urgent ticket answered: the episode ends.
            await _probe.PostAsync(
                Urgent(acc, "T-1", "first_response", now.AddMinutes(-3)),
                Urgent(acc, "T-2", "first_response", now.AddMinutes(-2)),
                Urgent(acc, "T-3", "solved", now.AddMinutes(-1)));
            await Task.Delay(PlaybookProbe.Quiet);
            Assert.Single(_probe.Received(path, acc));

            await _probe.PostAsync(Urgent(acc, "T-4", "opened", now.AddHours(-4.5)));
            await _probe.PostsAsync(path, acc, 2);
            await Task.Delay(PlaybookProbe.Quiet);
            Assert.Equal(2, _probe.Received(path, acc).Length);
        }
        finally
        {
            await _probe.DeleteAsync(id);
        }
    }

    [Fact]
    public async Task An_urgent_ticket_whose_wait_runs_out_with_no_new_signal_is_noticed_by_the_sweep()
    {
        string path = $"/ok/{Guid.NewGuid():N}";
        string id = await _probe.DefineAsync(new { type = "urgent_unanswered", hours = 1 }, path);
        try
        {
            string acc = NewAccountId("pb-urgent-wait");
            // Whole seconds: the signal's timestamp goes over the wire without fractions (SignalJson.Iso).
            var soon = DateTimeOffset.UtcNow.AddHours(-1).AddSeconds(3);
            var opened = soon.AddTicks(-(soon.UtcTicks % TimeSpan.TicksPerSecond));
            await _probe.PostAsync(Urgent(acc, "T-1", "opened", opened));
            Assert.Empty(_probe.Received(path, acc));

            // No signal arrives any more: the sweep's tick notices the wait ran out.
            var post = Assert.Single(await _probe.PostsAsync(path, acc, 1));
            Assert.True(Fired(post) >= opened.AddHours(1), $"fired at {Fired(post):O}, before the hour was up");
            Assert.Equal(acc, post["accountId"]!.GetValue<string>());
            Assert.Equal("urgent_unanswered", post["trigger"]!["type"]!.GetValue<string>());

            // Ticks go on while it waits: nothing more.
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.Single(_probe.Received(path, acc));
        }
        finally
        {
            await _probe.DeleteAsync(id);
        }
    }

    private static DateTimeOffset Fired(JsonObject post) =>
        DateTimeOffset.Parse(post["firedAt"]!.GetValue<string>(), CultureInfo.InvariantCulture);
}
