using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CsMetrics.Server.Tests.Support;

namespace CsMetrics.Server.Tests.Integrations;

/// <summary>A server with the Zendesk secret configured, shared by the integration tests.</summary>
public sealed class IntegrationsServerFixture : ServerFixture
{
    public const string ZendeskSecret = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3RpbmdfcHVycG9zZXNfb25seQ==";

    protected override CsMetricsFactory CreateFactory() =>
        new(settings: new Dictionary<string, string?> { ["CsMetrics:Integrations:ZendeskSecret"] = ZendeskSecret });

    /// <summary>A client authenticating the Segment way: the key as Basic username, empty password.</summary>
    public HttpClient SegmentClient(string writeKey)
    {
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));
        return client;
    }

    public static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}

[CollectionDefinition(Name)]
public sealed class IntegrationsServerCollection : ICollectionFixture<IntegrationsServerFixture>
{
    public const string Name = "integrations server";
}
