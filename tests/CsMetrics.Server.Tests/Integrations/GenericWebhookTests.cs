using System.Net;
using System.Text.Json.Nodes;
using CsMetrics.Server.Tests.Support;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Integrations;

[Collection(IntegrationsServerCollection.Name)]
public sealed class GenericWebhookTests(IntegrationsServerFixture server)
{
    private static async Task<(int Accepted, int Duplicates)> AssertAcceptedAsync(HttpResponseMessage response)
    {
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"Expected 202, got {(int)response.StatusCode}: {body?.ToJsonString()}");
        return (body!["accepted"]!.GetValue<int>(), body["duplicates"]!.GetValue<int>());
    }

    private Task<HttpResponseMessage> PostAsync(string path, JsonNode body, HttpClient? client = null) =>
        (client ?? server.Ingest).PostAsync(path, IntegrationsServerFixture.Json(body));

    [Fact]
    public async Task Ticket_events_and_survey_responses_are_ingested_and_retries_dedupe()
    {
        string account = NewAccountId("gw");
        var ticket = new JsonObject { ["accountId"] = account, ["ticketId"] = "FD-1001", ["status"] = "opened", ["priority"] = "urgent", ["tags"] = new JsonArray("outage") };
        using (var response = await PostAsync("/api/v1/integrations/tickets", ticket))
        {
            Assert.Equal((1, 0), await AssertAcceptedAsync(response));
        }
        // No id and no timestamp: the id is derived from the payload, so a retry is a duplicate.
        using (var retry = await PostAsync("/api/v1/integrations/tickets", ticket))
        {
            Assert.Equal((0, 1), await AssertAcceptedAsync(retry));
        }
        var tickets = new JsonArray
        {
            new JsonObject { ["id"] = NewId("t"), ["accountId"] = account, ["ticketId"] = "FD-1001", ["status"] = "first_response", ["timestamp"] = Iso(Recent) },
            new JsonObject { ["id"] = NewId("t"), ["accountId"] = account, ["ticketId"] = "FD-1001", ["status"] = "solved", ["timestamp"] = Iso(Recent) },
        };
        using (var response = await PostAsync("/api/v1/integrations/tickets", tickets))
        {
            Assert.Equal((2, 0), await AssertAcceptedAsync(response));
        }
        var survey = new JsonObject { ["id"] = NewId("s"), ["accountId"] = account, ["kind"] = "nps", ["score"] = 9, ["respondentId"] = "ann@example.com", ["comment"] = "Love it", ["timestamp"] = Iso(Recent) };
        using (var response = await PostAsync("/api/v1/integrations/surveys", survey, server.Admin))
        {
            Assert.Equal((1, 0), await AssertAcceptedAsync(response));
        }
        Assert.Equal((0L, 3L, 1L, 0L), (await server.Read.GetAccountAsync(account))!.Counts());
    }

    [Theory]
    [InlineData("/api/v1/integrations/tickets", """{"ticketId":"T-1","status":"opened"}""", "accountId")]
    [InlineData("/api/v1/integrations/tickets", """{"accountId":"acc-gw-x","ticketId":"T-1","status":"pending"}""", "status")]
    [InlineData("/api/v1/integrations/tickets", """{"accountId":"acc-gw-x","status":"opened"}""", "ticketId")]
    [InlineData("/api/v1/integrations/surveys", """{"accountId":"acc-gw-x","kind":"csat","score":9}""", "score")]
    [InlineData("/api/v1/integrations/surveys", """{"accountId":"acc-gw-x","kind":"stars","score":3}""", "kind")]
    [InlineData("/api/v1/integrations/surveys", """[{"accountId":"acc-gw-x","kind":"nps","score":3},{"accountId":"acc-gw-x","kind":"nps"}]""", "[1].score")]
    [InlineData("/api/v1/integrations/surveys", """{"accountId":"acc-gw-x","kind":"nps","score":3,"timestamp":"yesterday"}""", "timestamp")]
    [InlineData("/api/v1/integrations/surveys", """{not json""", "$")]
    [InlineData("/api/v1/integrations/surveys", """[1]""", "[0]")]
    public async Task Unreadable_payloads_are_400_naming_the_field(string path, string body, string field)
    {
        using var response = await server.Ingest.PostAsync(path, IntegrationsServerFixture.Json(body));
        var problem = await HttpAssertions.AssertProblemAsync(response, 400);
        var errors = problem["errors"]!.AsArray();
        Assert.Contains(errors, e => e!["field"]!.GetValue<string>() == field);
        await server.Read.AssertAccountMissingAsync("acc-gw-x");
    }

    [Fact]
    public async Task Generic_webhooks_need_an_ingest_key()
    {
        var ticket = new JsonObject { ["accountId"] = NewAccountId("gw"), ["ticketId"] = "T-1", ["status"] = "opened" };
        using (var anonymous = await PostAsync("/api/v1/integrations/tickets", ticket, server.Anonymous))
        {
            await HttpAssertions.AssertProblemAsync(anonymous, 401);
        }
        using (var readOnly = await PostAsync("/api/v1/integrations/surveys", ticket, server.Read))
        {
            await HttpAssertions.AssertProblemAsync(readOnly, 403);
        }
    }
}
