using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CsMetrics.Server.Tests.Live;
using CsMetrics.Server.Tests.Support;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Playbooks;

/// <summary>A server whose deliveries retry quickly (4 attempts, 20 ms doubling), plus a real receiver.</summary>
public class PlaybookServerFixture : ServerFixture, IAsyncLifetime
{
    public const int MaxAttempts = 4;

    public WebhookReceiver Receiver { get; private set; } = null!;

    protected override CsMetricsFactory CreateFactory() => new(settings: Settings());

    protected virtual Dictionary<string, string?> Settings() => new()
    {
        ["CsMetrics:Playbooks:MaxAttempts"] = MaxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["CsMetrics:Playbooks:FirstRetryDelay"] = "00:00:00.020",
    };

    public override async Task InitializeAsync()
    {
        Receiver = await WebhookReceiver.StartAsync();
        await base.InitializeAsync();
    }

    // ServerFixture.DisposeAsync is not virtual: re-implement the interface to stop the receiver too.
    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class PlaybookServerCollection : ICollectionFixture<PlaybookServerFixture>
{
    public const string Name = "playbook server";
}

/// <summary>Playbooks end to end (docs/playbooks.md): ingest → index → evaluator → HTTP POST to a real receiver.</summary>
[Collection(PlaybookServerCollection.Name)]
public sealed class PlaybookDeliveryTests(PlaybookServerFixture server)
{
    private static readonly TimeSpan Quiet = PlaybookProbe.Quiet;
    private static readonly object IntoRedTrigger = new { type = "band_falls", to = "red" };

    private readonly PlaybookProbe _probe = new(server);

    private Task<string> DefineAsync(string receiverPath, int cooldownMinutes = 0, string type = "webhook") =>
        _probe.DefineAsync(IntoRedTrigger, receiverPath, cooldownMinutes, type);

    private Task DeleteAsync(string id) => _probe.DeleteAsync(id);

    private Task PostAsync(params JsonObject[] signals) => _probe.PostAsync(signals);

    private Task<JsonObject[]> DeliveriesAsync(string id, string accountId) => _probe.DeliveriesAsync(id, accountId);

    private static Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what) => PlaybookProbe.EventuallyAsync(probe, done, what);

    private Task<JsonObject[]> PostsAsync(string path, string accountId, int count) => _probe.PostsAsync(path, accountId, count);

    private JsonObject[] Received(string path, string accountId) => _probe.Received(path, accountId);

    private Task WaitForBandAsync(string accountId, string band) => _probe.WaitForBandAsync(accountId, band);

    [Fact]
    public async Task Falling_into_red_posts_once_per_episode_with_the_documented_body()
    {
        string path = $"/ok/{Guid.NewGuid():N}";
        string id = await DefineAsync(path);
        try
        {
            string acc = NewAccountId("pb-once");
            await PostAsync(Health.IntoRed(acc));
            var posts = await PostsAsync(path, acc, 1);

            var body = posts[0];
            Assert.Equal(
                ["accountId", "accountName", "band", "firedAt", "owner", "playbookId", "playbookName", "previousBand", "previousScore", "reason", "score", "trigger"],
                body.Select(p => p.Key).Order(StringComparer.Ordinal).ToArray());
            Assert.Equal(id, body["playbookId"]!.GetValue<string>());
            Assert.Equal($"Red alert {id}", body["playbookName"]!.GetValue<string>());
            Assert.Equal("red", body["band"]!.GetValue<string>());
            Assert.Equal("band_falls", body["trigger"]!["type"]!.GetValue<string>());
            Assert.Equal("red", body["trigger"]!["to"]!.GetValue<string>());
            Assert.True(body["score"]!.GetValue<double>() < 50);
            Assert.True(DateTimeOffset.Parse(body["firedAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow.AddMinutes(-5));

            var delivered = await EventuallyAsync(() => DeliveriesAsync(id, acc), d => d.Length == 1 && d[0]["status"]!.GetValue<string>() == "delivered", "delivered");
            HttpAssertions.AssertHasProperties(delivered[0], "id", "accountId", "status", "attempts", "lastError", "firedAt", "deliveredAt");
            Assert.Equal(1, delivered[0]["attempts"]!.GetValue<int>());

            // More signals while it stays red: the listing changes, the condition goes on, nothing more is sent.
            await PostAsync(
                Ticket(acc, ticketId: "T-3", status: "opened", priority: "urgent"),
                Usage(acc));
            await WaitForBandAsync(acc, "red");
            await Task.Delay(Quiet); // asserting an absence: give a wrong second delivery time to show up
            Assert.Single(Received(path, acc));
            Assert.Single(await DeliveriesAsync(id, acc));
        }
        finally
        {
            await DeleteAsync(id);
        }
    }

    [Fact]
    public async Task A_failed_attempt_is_retried_and_then_delivered()
    {
        string path = $"/flaky/{Guid.NewGuid():N}";
        string id = await DefineAsync(path);
        try
        {
            string acc = NewAccountId("pb-retry");
            await PostAsync(Health.IntoRed(acc));
            var d = await EventuallyAsync(() => DeliveriesAsync(id, acc), x => x.Length == 1 && x[0]["status"]!.GetValue<string>() == "delivered", "delivered");
            Assert.Equal(2, d[0]["attempts"]!.GetValue<int>());
            Assert.Contains("500", d[0]["lastError"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.NotNull(d[0]["deliveredAt"]!.GetValue<string>());
            Assert.Equal(2, Received(path, acc).Length);
        }
        finally
        {
            await DeleteAsync(id);
        }
    }

    [Fact]
    public async Task After_the_last_failed_attempt_the_delivery_is_dead()
    {
        string path = $"/down/{Guid.NewGuid():N}";
        string id = await DefineAsync(path);
        try
        {
            string acc = NewAccountId("pb-dead");
            await PostAsync(Health.IntoRed(acc));
            var d = await EventuallyAsync(() => DeliveriesAsync(id, acc), x => x.Length == 1 && x[0]["status"]!.GetValue<string>() == "dead", "dead letter");
            Assert.Equal(PlaybookServerFixture.MaxAttempts, d[0]["attempts"]!.GetValue<int>());
            Assert.Contains("500", d[0]["lastError"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Null(d[0]["deliveredAt"]);
            Assert.Equal(PlaybookServerFixture.MaxAttempts, Received(path, acc).Length);
        }
        finally
        {
            await DeleteAsync(id);
        }
    }

    /// <summary>An account falls into red (one delivery), recovers to green, and falls again: two episodes.</summary>
    private async Task RedThenGreenThenRedAsync(string path, string acc)
    {
        await PostAsync(Health.IntoRed(acc, DateTimeOffset.UtcNow.AddHours(-3)));
        await PostsAsync(path, acc, 1);

        await PostAsync(Health.OutOfRed(acc, DateTimeOffset.UtcNow.AddHours(-2)));
        await WaitForBandAsync(acc, "green");
        await PostAsync(Health.IntoRed(acc, DateTimeOffset.UtcNow.AddHours(-1)));
        await WaitForBandAsync(acc, "red");
    }

    [Fact]
    public async Task A_new_episode_fires_again_after_the_condition_ended()
    {
        string path = $"/ok/{Guid.NewGuid():N}";
        string id = await DefineAsync(path, cooldownMinutes: 0);
        try
        {
            string acc = NewAccountId("pb-again");
            await RedThenGreenThenRedAsync(path, acc);

            var posts = await PostsAsync(path, acc, 2);
            Assert.Equal(2, posts.Length);
            Assert.NotEqual("red", posts[1]["previousBand"]?.GetValue<string>());
        }
        finally
        {
            await DeleteAsync(id);
        }
    }

    [Fact]
    public async Task The_cooldown_suppresses_a_new_episode_within_it()
    {
        string path = $"/ok/{Guid.NewGuid():N}";
        string id = await DefineAsync(path, cooldownMinutes: 60);
        try
        {
            string acc = NewAccountId("pb-cool");
            await RedThenGreenThenRedAsync(path, acc);
            await Task.Delay(Quiet); // asserting an absence
            Assert.Single(Received(path, acc));
        }
        finally
        {
            await DeleteAsync(id);
        }
    }

    [Fact]
    public async Task Slack_action_posts_a_text_with_the_account_and_the_change()
    {
        string path = $"/ok/{Guid.NewGuid():N}";
        string id = await DefineAsync(path, type: "slack");
        try
        {
            string acc = NewAccountId("pb-slack");
            await PostAsync(Health.IntoRed(acc));
            var post = (await EventuallyAsync(() => Task.FromResult(server.Receiver.For(path)), r => r.Length >= 1, "a Slack POST"))[0];
            Assert.Equal(["text"], post.Select(p => p.Key).ToArray());
            string text = post["text"]!.GetValue<string>();
            Assert.Contains(acc, text, StringComparison.Ordinal);
            Assert.Contains("band fell to red", text, StringComparison.Ordinal);
        }
        finally
        {
            await DeleteAsync(id);
        }
    }
}
