using System.Net;
using System.Text.Json.Nodes;
using CsMetrics.Server.Tests.Support;

namespace CsMetrics.Server.Tests.Api;

[Collection(ApiServerCollection.Name)]
public sealed class ScorecardAndOpenApiTests(ApiServerFixture server)
{
    [Fact]
    public async Task The_scorecard_is_returned_with_its_version()
    {
        using var response = await server.Read.GetAsync("/api/v1/scorecard");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var card = (await response.ReadJsonAsync())!.AsObject();

        Assert.Equal(1, card["version"]!.GetValue<int>());
        Assert.Equal("CsMetrics default", card["name"]!.GetValue<string>());
        Assert.Equal(40, card["bands"]!["red"]!.GetValue<int>());
        Assert.Equal(70, card["bands"]!["yellow"]!.GetValue<int>());
        Assert.Equal(
            ["engagement", "adoption", "support", "sentiment", "revenue"],
            card["components"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()));
        Assert.All(card["components"]!.AsArray(), c => Assert.NotEmpty(c!["measures"]!.AsArray()));
    }

    [Fact]
    public async Task The_openapi_document_lists_the_routes()
    {
        using var response = await server.Read.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var doc = (await response.ReadJsonAsync())!.AsObject();

        Assert.StartsWith("3.", doc["openapi"]!.GetValue<string>());
        var paths = doc["paths"]!.AsObject();
        string[] routes = [.. paths.Select(p => p.Key.TrimEnd('/'))];
        Assert.Contains("/api/v1/signals", routes);
        Assert.Contains("/api/v1/accounts/{accountId}", routes);
        Assert.Contains("/api/v1/accounts", routes);
        Assert.Contains("/api/v1/scorecard", routes);
        Assert.Contains("/healthz", routes);

        JsonObject Path(string route) => paths.Single(p => p.Key.TrimEnd('/') == route).Value!.AsObject();
        Assert.NotNull(Path("/api/v1/signals")["post"]);
        Assert.NotNull(Path("/api/v1/accounts/{accountId}")["get"]);
        Assert.NotNull(Path("/api/v1/accounts/{accountId}")["put"]);
        Assert.NotNull(Path("/api/v1/accounts")["get"]);
        Assert.NotNull(Path("/api/v1/scorecard")["get"]);

        var post = Path("/api/v1/signals")["post"]!;
        Assert.NotNull(post["responses"]!["202"]);
        Assert.NotNull(post["responses"]!["400"]);
        Assert.NotNull(post["responses"]!["413"]);

        var listParameters = Path("/api/v1/accounts")["get"]!["parameters"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).ToArray();
        Assert.Empty(new[] { "owner", "segment", "band", "limit", "offset" }.Except(listParameters));
    }
}
