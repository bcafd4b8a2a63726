using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CsMetrics.Server.Tests.Support;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Api;

/// <summary>PUT and GET /api/v1/accounts/{id}: registry metadata and the account view's exact shape.</summary>
[Collection(ApiServerCollection.Name)]
public sealed class AccountTests(ApiServerFixture server)
{
    private static readonly string[] ComponentNames = ["engagement", "adoption", "support", "sentiment", "revenue"];
    private static readonly double[] ComponentWeights = [30, 20, 20, 15, 15];

    private static string[] Keys(JsonNode? node) => node!.AsObject().Select(p => p.Key).ToArray();

    private static JsonObject Component(JsonObject account, string name) =>
        account["health"]!["components"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == name)!.AsObject();

    [Fact]
    public async Task The_account_view_has_the_contract_field_names()
    {
        string acc = NewAccountId();
        await server.Admin.RegisterAsync(acc, name: "Globex", owner: "dana", segment: "mid-market", seats: 12, renewalDate: "2027-01-15");
        string npsId = NewId("nps");
        await server.Ingest.IngestAsync(Batch(Survey(acc, "nps", 10, id: npsId, respondentId: "r1")));

        var account = await server.Read.GetAccountAsync(acc);

        Assert.NotNull(account);
        HttpAssertions.AssertHasProperties(account, "accountId", "name", "owner", "segment", "seats", "renewalDate", "signalCounts", "health");
        Assert.Equal(acc, account["accountId"]!.GetValue<string>());
        Assert.Equal("Globex", account["name"]!.GetValue<string>());
        Assert.Equal("dana", account["owner"]!.GetValue<string>());
        Assert.Equal("mid-market", account["segment"]!.GetValue<string>());
        Assert.Equal(12, account["seats"]!.GetValue<int>());
        Assert.Equal("2027-01-15", account["renewalDate"]!.GetValue<string>());

        HttpAssertions.AssertHasProperties(account["signalCounts"], "usage", "ticket", "survey", "revenue");
        Assert.Equal((0L, 0L, 1L, 0L), account.Counts());

        var health = account["health"]!.AsObject();
        // The contract's fields must be there; more may be added (overrides, deltas).
        HttpAssertions.AssertHasProperties(health, "band", "components", "explanation", "score", "scorecardVersion", "updatedAt");
        Assert.Equal(100.0, health["score"]!.GetValue<double>());
        Assert.Equal("green", health["band"]!.GetValue<string>());
        Assert.Equal(1, health["scorecardVersion"]!.GetValue<int>());
        Assert.True(DateTimeOffset.TryParse(health["updatedAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, out var updatedAt));
        Assert.InRange(updatedAt, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));

        var components = health["components"]!.AsArray();
        Assert.Equal(ComponentNames, components.Select(c => c!["name"]!.GetValue<string>()));
        Assert.Equal(ComponentWeights, components.Select(c => c!["weight"]!.GetValue<double>()));
        foreach (var c in components)
        {
            Assert.Equal(["included", "name", "score", "weight"], Keys(c).Order());
        }

        var explanation = health["explanation"]!.AsObject();
        HttpAssertions.AssertHasProperties(explanation, "signalId", "signalType", "before", "after", "components");
        Assert.Equal(npsId, explanation["signalId"]!.GetValue<string>());
        Assert.Equal("survey", explanation["signalType"]!.GetValue<string>());
        Assert.Null(explanation["before"]);
        Assert.Equal(100.0, explanation["after"]!.GetValue<double>());
        var changes = explanation["components"]!.AsArray();
        Assert.Equal(ComponentNames, changes.Select(c => c!["name"]!.GetValue<string>()));
        foreach (var c in changes)
        {
            Assert.Equal(["after", "before", "name"], Keys(c).Order());
        }
        var sentiment = changes.Single(c => c!["name"]!.GetValue<string>() == "sentiment")!;
        Assert.Null(sentiment["before"]);
        Assert.Equal(100.0, sentiment["after"]!.GetValue<double>());
    }

    [Fact]
    public async Task Components_without_data_are_not_included_and_the_rest_is_renormalised()
    {
        string acc = NewAccountId();
        // Sentiment 100 (one promoter) and revenue 0 (churned: MRR 0), equal weights 15/15 → 50.
        await server.Ingest.IngestAsync(Batch(
            Survey(acc, "nps", 10, respondentId: "r1"),
            Revenue(acc, 1000, at: DateTimeOffset.UtcNow.AddDays(-30)),
            Revenue(acc, 0, at: DateTimeOffset.UtcNow.AddHours(-2))));

        var account = (await server.Read.GetAccountAsync(acc))!;

        foreach (var name in new[] { "engagement", "adoption", "support" })
        {
            var c = Component(account, name);
            Assert.False(c["included"]!.GetValue<bool>(), $"{name} has no data");
            Assert.Null(c["score"]);
        }
        Assert.True(Component(account, "sentiment")["included"]!.GetValue<bool>());
        Assert.Equal(100.0, Component(account, "sentiment")["score"]!.GetValue<double>());
        Assert.True(Component(account, "revenue")["included"]!.GetValue<bool>());
        Assert.Equal(0.0, Component(account, "revenue")["score"]!.GetValue<double>());
        Assert.Equal(50.0, account["health"]!["score"]!.GetValue<double>());
        Assert.Equal("yellow", account["health"]!["band"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_explanation_names_the_signal_that_moved_the_score()
    {
        string acc = NewAccountId();
        await server.Ingest.IngestAsync(Batch(Survey(acc, "nps", 10, respondentId: "r1")));
        string detractor = NewId("nps");

        await server.Ingest.IngestAsync(Batch(Survey(acc, "nps", 0, id: detractor, respondentId: "r2")));

        var health = (await server.Read.GetAccountAsync(acc))!["health"]!;
        // NPS (1 promoter, 1 detractor) = 0 → halfway between -50 and 50.
        Assert.Equal(50.0, health["score"]!.GetValue<double>());
        Assert.Equal("yellow", health["band"]!.GetValue<string>());
        var explanation = health["explanation"]!;
        Assert.Equal(detractor, explanation["signalId"]!.GetValue<string>());
        Assert.Equal("survey", explanation["signalType"]!.GetValue<string>());
        Assert.Equal(100.0, explanation["before"]!.GetValue<double>());
        Assert.Equal(50.0, explanation["after"]!.GetValue<double>());
        var sentiment = explanation["components"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == "sentiment")!;
        Assert.Equal(100.0, sentiment["before"]!.GetValue<double>());
        Assert.Equal(50.0, sentiment["after"]!.GetValue<double>());
    }

    [Fact]
    public async Task A_registered_account_without_signals_has_no_score_yet()
    {
        string acc = NewAccountId();
        var put = await server.Admin.RegisterAsync(acc, name: "Initech", seats: 3);
        Assert.Equal(acc, put["accountId"]!.GetValue<string>());

        var account = (await server.Read.GetAccountAsync(acc))!;
        Assert.Equal("Initech", account["name"]!.GetValue<string>());
        Assert.Null(account["owner"]);
        Assert.Null(account["renewalDate"]);
        Assert.Equal((0L, 0L, 0L, 0L), account.Counts());
        var health = account["health"]!;
        Assert.Null(health["score"]);
        Assert.Null(health["band"]);
        Assert.Null(health["explanation"]);
        Assert.Equal(1, health["scorecardVersion"]!.GetValue<int>());
        var components = health["components"]!.AsArray();
        Assert.Equal(ComponentNames, components.Select(c => c!["name"]!.GetValue<string>()));
        Assert.All(components, c => Assert.False(c!["included"]!.GetValue<bool>()));
    }

    [Fact]
    public async Task Put_again_replaces_the_metadata_and_keeps_the_signals()
    {
        string acc = NewAccountId();
        await server.Admin.RegisterAsync(acc, name: "Old name", owner: "erin", segment: "smb", seats: 5, renewalDate: "2026-12-01");
        await server.Ingest.IngestAsync(Batch(Usage(acc), Usage(acc)));

        await server.Admin.RegisterAsync(acc, name: "New name", owner: "frank", segment: "enterprise", seats: 500, renewalDate: "2028-06-30");

        var account = (await server.Read.GetAccountAsync(acc))!;
        Assert.Equal("New name", account["name"]!.GetValue<string>());
        Assert.Equal("frank", account["owner"]!.GetValue<string>());
        Assert.Equal("enterprise", account["segment"]!.GetValue<string>());
        Assert.Equal(500, account["seats"]!.GetValue<int>());
        Assert.Equal("2028-06-30", account["renewalDate"]!.GetValue<string>());
        Assert.Equal(2L, account.Counts().Usage);
    }

    [Fact]
    public async Task Seats_feed_engagement_so_registering_rescores()
    {
        string acc = NewAccountId();
        // Two active users this week.
        await server.Ingest.IngestAsync(Batch(Usage(acc, userId: "u1"), Usage(acc, userId: "u2")));
        var before = (await server.Read.GetAccountAsync(acc))!;

        // 2 weekly users on 100 seats is far from the 60 % target.
        await server.Admin.RegisterAsync(acc, seats: 100);
        var after = (await server.Read.GetAccountAsync(acc))!;

        double engagementBefore = Component(before, "engagement")["score"]!.GetValue<double>();
        double engagementAfter = Component(after, "engagement")["score"]!.GetValue<double>();
        Assert.True(engagementAfter < engagementBefore, $"engagement {engagementBefore} → {engagementAfter}");
        Assert.True(after["health"]!["score"]!.GetValue<double>() < before["health"]!["score"]!.GetValue<double>());
    }

    [Fact]
    public async Task Get_of_an_unknown_account_is_a_404_problem()
    {
        using var response = await server.Read.GetAsync($"/api/v1/accounts/{NewAccountId()}");
        var problem = await HttpAssertions.AssertProblemAsync(response, 404);
        Assert.Equal("Account not found", problem["title"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("{\"seats\":-1}", "seats")]
    [InlineData("{\"seats\":10000001}", "seats")]
    [InlineData("{\"name\":\"a\\u0001b\"}", "name")]
    [InlineData("{\"owner\":\"OVERLONG\"}", "owner")]
    public async Task Invalid_registrations_are_a_400_and_create_nothing(string body, string field)
    {
        string acc = NewAccountId();
        body = body.Replace("OVERLONG", new string('o', 201));
        using var response = await server.Admin.PutAsync($"/api/v1/accounts/{acc}", new StringContent(body, Encoding.UTF8, "application/json"));
        var problem = await HttpAssertions.AssertProblemAsync(response, 400);
        Assert.Contains(field, problem["detail"]!.GetValue<string>());
        await server.Read.AssertAccountMissingAsync(acc);
    }

    [Fact]
    public async Task Put_with_malformed_json_is_a_400_and_creates_nothing()
    {
        string acc = NewAccountId();
        using var response = await server.Admin.PutAsync($"/api/v1/accounts/{acc}", new StringContent("{\"name\":", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await server.Read.AssertAccountMissingAsync(acc);
    }

    [Fact]
    public async Task Account_ids_with_url_special_characters_round_trip()
    {
        string acc = "acme corp/eu #" + Guid.NewGuid().ToString("N")[..8];
        await server.Ingest.IngestAsync(Batch(Usage(acc)));
        await server.Admin.RegisterAsync(acc, name: "Acme EU");

        var account = (await server.Read.GetAccountAsync(acc))!;
        Assert.Equal(acc, account["accountId"]!.GetValue<string>());
        Assert.Equal("Acme EU", account["name"]!.GetValue<string>());
        Assert.Equal(1L, account.Counts().Usage);
    }
}
