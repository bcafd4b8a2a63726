using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using CsMetrics.Server.Integrations;
using CsMetrics.Server.Tests.Support;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Integrations;

[Collection(IntegrationsServerCollection.Name)]
public sealed class ZendeskIntegrationTests(IntegrationsServerFixture server)
{
    private static JsonObject Event(string type, string accountId, string ticketId = "35", string? eventId = null, string? score = null)
    {
        var ticket = new JsonObject
        {
            ["id"] = ticketId,
            ["organization_external_id"] = accountId,
            ["priority"] = "HIGH",
            ["tags"] = new JsonArray("billing", "vip"),
            ["requester_id"] = 9873843,
        };
        if (score is not null)
        {
            ticket["satisfaction"] = new JsonObject { ["score"] = score, ["comment"] = "Quick and helpful" };
        }
        return new JsonObject
        {
            ["type"] = type,
            ["id"] = eventId ?? Guid.NewGuid().ToString(),
            ["time"] = Recent.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'42Z'", CultureInfo.InvariantCulture),
            ["ticket"] = ticket,
        };
    }

    private async Task<HttpResponseMessage> PostAsync(string body, DateTimeOffset? signedAt = null, string secret = IntegrationsServerFixture.ZendeskSecret, string? signature = null)
    {
        string ts = (signedAt ?? DateTimeOffset.UtcNow).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/integrations/zendesk") { Content = IntegrationsServerFixture.Json(body) };
        request.Headers.Add(ZendeskIntegration.SignatureHeader, signature ?? ZendeskIntegration.Sign(secret, ts, body));
        request.Headers.Add(ZendeskIntegration.TimestampHeader, ts);
        return await server.Anonymous.SendAsync(request);
    }

    private static async Task<(int Accepted, int Duplicates)> AssertOkAsync(HttpResponseMessage response)
    {
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected 200, got {(int)response.StatusCode}: {body?.ToJsonString()}");
        return (body!["accepted"]!.GetValue<int>(), body["duplicates"]!.GetValue<int>());
    }

    [Fact]
    public async Task Signed_ticket_and_satisfaction_events_become_ticket_and_csat_signals_and_retries_dedupe()
    {
        string account = NewAccountId("zd");
        string created = Event("ticket.created", account).ToJsonString();
        string replied = Event("zen:event-type:ticket.agent_replied", account).ToJsonString();
        string solved = Event("ticket.solved", account).ToJsonString();
        string rated = Event("ticket.satisfaction_rated", account, score: "good").ToJsonString();

        foreach (var body in new[] { created, replied, solved, rated })
        {
            using var response = await PostAsync(body);
            Assert.Equal((1, 0), await AssertOkAsync(response));
        }
        var view = await server.Read.GetAccountAsync(account);
        Assert.Equal((0L, 3L, 1L, 0L), view!.Counts());

        // Zendesk retries a delivery it thinks failed: same event id, same signal id.
        using (var retry = await PostAsync(created))
        {
            Assert.Equal((0, 1), await AssertOkAsync(retry));
        }
        using (var retryRating = await PostAsync(rated))
        {
            Assert.Equal((0, 1), await AssertOkAsync(retryRating));
        }
        // A second agent reply is not a first response.
        using (var secondReply = await PostAsync(Event("ticket.agent_replied", account).ToJsonString()))
        {
            Assert.Equal((0, 1), await AssertOkAsync(secondReply));
        }
        view = await server.Read.GetAccountAsync(account);
        Assert.Equal((0L, 3L, 1L, 0L), view!.Counts());
    }

    [Fact]
    public async Task Bad_signature_is_401_and_applies_nothing()
    {
        string account = NewAccountId("zd");
        string body = Event("ticket.created", account).ToJsonString();
        using (var wrongSecret = await PostAsync(body, secret: "another-secret"))
        {
            await HttpAssertions.AssertProblemAsync(wrongSecret, 401);
        }
        using (var garbage = await PostAsync(body, signature: "not base64 at all"))
        {
            await HttpAssertions.AssertProblemAsync(garbage, 401);
        }
        using (var unsigned = await server.Anonymous.PostAsync("/api/v1/integrations/zendesk", IntegrationsServerFixture.Json(body)))
        {
            await HttpAssertions.AssertProblemAsync(unsigned, 401);
        }
        await server.Read.AssertAccountMissingAsync(account);
    }

    [Fact]
    public async Task Stale_signature_timestamp_is_401()
    {
        string account = NewAccountId("zd");
        string body = Event("ticket.created", account).ToJsonString();
        using var stale = await PostAsync(body, signedAt: DateTimeOffset.UtcNow.AddMinutes(-6));
        await HttpAssertions.AssertProblemAsync(stale, 401);
        await server.Read.AssertAccountMissingAsync(account);
    }

    [Fact]
    public async Task Unreadable_events_are_400_naming_the_field()
    {
        var noOrg = Event("ticket.created", "x");
        noOrg["ticket"]!.AsObject().Remove("organization_external_id");
        using (var response = await PostAsync(noOrg.ToJsonString()))
        {
            var problem = await HttpAssertions.AssertProblemAsync(response, 400);
            Assert.Contains("ticket.organization_id", problem["detail"]!.GetValue<string>());
        }
        using (var badScore = await PostAsync(Event("ticket.satisfaction_rated", NewAccountId("zd"), score: "meh").ToJsonString()))
        {
            var problem = await HttpAssertions.AssertProblemAsync(badScore, 400);
            Assert.Contains("ticket.satisfaction.score", problem["detail"]!.GetValue<string>());
        }
        var badPriority = Event("ticket.created", NewAccountId("zd"));
        badPriority["ticket"]!["priority"] = "whenever";
        using (var response = await PostAsync(badPriority.ToJsonString()))
        {
            var problem = await HttpAssertions.AssertProblemAsync(response, 400);
            Assert.Contains("ticket.priority", problem["detail"]!.GetValue<string>());
        }
        using (var notJson = await PostAsync("{not json"))
        {
            await HttpAssertions.AssertProblemAsync(notJson, 400);
        }
    }
}
