using System.Net.Http.Json;
using CsMetrics.Server.Tests.Support;

namespace CsMetrics.Server.Tests.Integrations;

/// <summary>A server without CSMETRICS_ZENDESK_SECRET: the Zendesk endpoint verifies nothing, so accepts nothing.</summary>
public sealed class UnconfiguredIntegrationsFixture : ServerFixture;

public sealed class ZendeskUnconfiguredTests(UnconfiguredIntegrationsFixture server) : IClassFixture<UnconfiguredIntegrationsFixture>
{
    [Fact]
    public async Task Without_a_secret_the_zendesk_endpoint_answers_503()
    {
        using var response = await server.Anonymous.PostAsJsonAsync("/api/v1/integrations/zendesk", new { type = "ticket.created", id = "e1" });
        var problem = await HttpAssertions.AssertProblemAsync(response, 503);
        Assert.Contains("CSMETRICS_ZENDESK_SECRET", problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_openapi_document_lists_the_integration_routes()
    {
        using var response = await server.Read.GetAsync("/openapi/v1.json");
        var paths = (await response.ReadJsonAsync())!["paths"]!.AsObject().Select(p => p.Key).ToArray();
        Assert.Contains("/api/v1/integrations/segment", paths);
        Assert.Contains("/api/v1/integrations/segment/batch", paths);
        Assert.Contains("/api/v1/integrations/zendesk", paths);
        Assert.Contains("/api/v1/integrations/tickets", paths);
        Assert.Contains("/api/v1/integrations/surveys", paths);
    }
}
