using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace CsMetrics.Server.Tests.Support;

public static class HttpAssertions
{
    public static async Task<HttpResponseMessage> PostSignalsAsync(this HttpClient client, JsonNode batch) =>
        await client.PostAsync("/api/v1/signals", new StringContent(batch.ToJsonString(), Encoding.UTF8, "application/json"));

    public static async Task<HttpResponseMessage> PostRawSignalsAsync(this HttpClient client, string body, string mediaType = "application/json") =>
        await client.PostAsync("/api/v1/signals", new StringContent(body, Encoding.UTF8, mediaType));

    /// <summary>Posts a batch and asserts the 202 body; returns (accepted, duplicates).</summary>
    public static async Task<(int Accepted, int Duplicates)> IngestAsync(this HttpClient client, JsonNode batch)
    {
        using var response = await client.PostSignalsAsync(batch);
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"Expected 202, got {(int)response.StatusCode}: {body?.ToJsonString()}");
        var obj = body!.AsObject();
        Assert.Equal(["accepted", "duplicates"], obj.Select(p => p.Key).Order().ToArray());
        return (obj["accepted"]!.GetValue<int>(), obj["duplicates"]!.GetValue<int>());
    }

    public static async Task<HttpResponseMessage> PutAccountAsync(this HttpClient client, string accountId, object body) =>
        await client.PutAsJsonAsync($"/api/v1/accounts/{Uri.EscapeDataString(accountId)}", body);

    /// <summary>Registers an account and asserts 200.</summary>
    public static async Task<JsonObject> RegisterAsync(this HttpClient client, string accountId, string? name = null, string? owner = null, string? segment = null, int? seats = null, string? renewalDate = null)
    {
        using var response = await client.PutAccountAsync(accountId, new { name, owner, segment, seats, renewalDate });
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected 200, got {(int)response.StatusCode}: {body?.ToJsonString()}");
        return body!.AsObject();
    }

    /// <summary>GET /api/v1/accounts/{id}; null on 404.</summary>
    public static async Task<JsonObject?> GetAccountAsync(this HttpClient client, string accountId)
    {
        using var response = await client.GetAsync($"/api/v1/accounts/{Uri.EscapeDataString(accountId)}");
        var body = await response.ReadJsonAsync();
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected 200, got {(int)response.StatusCode}: {body?.ToJsonString()}");
        return body!.AsObject();
    }

    public static async Task AssertAccountMissingAsync(this HttpClient client, string accountId)
    {
        using var response = await client.GetAsync($"/api/v1/accounts/{Uri.EscapeDataString(accountId)}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        await AssertProblemAsync(response, 404);
    }

    public static (long Usage, long Ticket, long Survey, long Revenue) Counts(this JsonObject account)
    {
        var c = account["signalCounts"]!.AsObject();
        return (c["usage"]!.GetValue<long>(), c["ticket"]!.GetValue<long>(), c["survey"]!.GetValue<long>(), c["revenue"]!.GetValue<long>());
    }

    /// <summary>Asserts that the object has (at least) these property names.</summary>
    public static void AssertHasProperties(JsonNode? node, params string[] names)
    {
        var actual = Assert.IsType<JsonObject>(node).Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
        var missing = names.Where(n => !actual.Contains(n)).ToArray();
        Assert.True(missing.Length == 0, $"missing properties {string.Join(", ", missing)} in {node!.ToJsonString()}");
    }

    public static async Task<JsonNode?> ReadJsonAsync(this HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            return JsonValue.Create(text);
        }
    }

    /// <summary>Asserts an RFC 7807 problem with <paramref name="status"/>; returns its body.</summary>
    public static async Task<JsonObject> AssertProblemAsync(HttpResponseMessage response, int status)
    {
        var body = await response.ReadJsonAsync();
        Assert.True((int)response.StatusCode == status, $"Expected {status}, got {(int)response.StatusCode}: {body?.ToJsonString()}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = Assert.IsType<JsonObject>(body);
        Assert.Equal(status, problem["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(problem["title"]?.GetValue<string>()), "a problem has a title");
        return problem;
    }
}
