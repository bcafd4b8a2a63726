using System.Net;
using System.Net.Http.Headers;
using System.Text;
using CsMetrics.Server.Tests.Support;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Api;

/// <summary>API keys and scopes: 401 without a (known) key, 403 with the wrong scope.</summary>
[Collection(ApiServerCollection.Name)]
public sealed class AuthTests(ApiServerFixture server)
{
    public enum Endpoint { PostSignals, GetAccount, ListAccounts, PutAccount, GetScorecard, OpenApi }

    /// <summary>Which endpoints each key may use.</summary>
    public static TheoryData<string, Endpoint, bool> ScopeMatrix()
    {
        var data = new TheoryData<string, Endpoint, bool>();
        void Row(string key, bool signals, bool read, bool put)
        {
            data.Add(key, Endpoint.PostSignals, signals);
            data.Add(key, Endpoint.GetAccount, read);
            data.Add(key, Endpoint.ListAccounts, read);
            data.Add(key, Endpoint.GetScorecard, read);
            data.Add(key, Endpoint.OpenApi, read);
            data.Add(key, Endpoint.PutAccount, put);
        }
        Row(Keys.Ingest, signals: true, read: false, put: false);
        Row(Keys.Read, signals: false, read: true, put: false);
        Row(Keys.Admin, signals: true, read: true, put: true);
        Row(Keys.IngestAndRead, signals: true, read: true, put: false);
        return data;
    }

    public static TheoryData<Endpoint> Endpoints() => new(Enum.GetValues<Endpoint>());

    /// <summary>A request to <paramref name="endpoint"/> on a fresh account (which it may create).</summary>
    private static HttpRequestMessage Request(Endpoint endpoint, string accountId) => endpoint switch
    {
        Endpoint.PostSignals => new(HttpMethod.Post, "/api/v1/signals")
        {
            Content = new StringContent(Batch(Usage(accountId)).ToJsonString(), Encoding.UTF8, "application/json"),
        },
        Endpoint.GetAccount => new(HttpMethod.Get, $"/api/v1/accounts/{accountId}"),
        Endpoint.ListAccounts => new(HttpMethod.Get, "/api/v1/accounts?limit=1"),
        Endpoint.PutAccount => new(HttpMethod.Put, $"/api/v1/accounts/{accountId}")
        {
            Content = new StringContent("{\"name\":\"Auth test\"}", Encoding.UTF8, "application/json"),
        },
        Endpoint.GetScorecard => new(HttpMethod.Get, "/api/v1/scorecard"),
        Endpoint.OpenApi => new(HttpMethod.Get, "/openapi/v1.json"),
        _ => throw new ArgumentOutOfRangeException(nameof(endpoint)),
    };

    private static HttpStatusCode Success(Endpoint endpoint) => endpoint switch
    {
        Endpoint.PostSignals => HttpStatusCode.Accepted,
        // The account does not exist yet: a read that got through answers 404.
        Endpoint.GetAccount => HttpStatusCode.NotFound,
        _ => HttpStatusCode.OK,
    };

    [Fact]
    public async Task Healthz_needs_no_key()
    {
        using var response = await server.Anonymous.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", (await response.ReadJsonAsync())!["status"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Without_a_key_every_endpoint_is_a_401_problem_and_nothing_changes(Endpoint endpoint)
    {
        string acc = NewAccountId();
        using var response = await server.Anonymous.SendAsync(Request(endpoint, acc));
        await HttpAssertions.AssertProblemAsync(response, 401);
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
        await server.Read.AssertAccountMissingAsync(acc);
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task An_unknown_key_is_a_401(Endpoint endpoint)
    {
        string acc = NewAccountId();
        using var bearer = server.Factory.ClientWithKey("not-a-key");
        using (var response = await bearer.SendAsync(Request(endpoint, acc)))
        {
            await HttpAssertions.AssertProblemAsync(response, 401);
        }
        using var header = server.Factory.ClientWithKey("not-a-key", asXApiKey: true);
        using (var response = await header.SendAsync(Request(endpoint, acc)))
        {
            await HttpAssertions.AssertProblemAsync(response, 401);
        }
        await server.Read.AssertAccountMissingAsync(acc);
    }

    [Theory]
    [MemberData(nameof(ScopeMatrix))]
    public async Task Scopes_decide_with_bearer_and_with_x_api_key(string key, Endpoint endpoint, bool allowed)
    {
        foreach (bool asHeader in new[] { false, true })
        {
            string acc = NewAccountId();
            using var client = server.Factory.ClientWithKey(key, asHeader);
            using var response = await client.SendAsync(Request(endpoint, acc));
            if (allowed)
            {
                Assert.True(response.StatusCode == Success(endpoint),
                    $"{endpoint} with {key} ({(asHeader ? "X-Api-Key" : "Bearer")}): expected {Success(endpoint)}, got {response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
            else
            {
                var problem = await HttpAssertions.AssertProblemAsync(response, 403);
                Assert.Equal("Insufficient scope", problem["title"]!.GetValue<string>());
                await server.Read.AssertAccountMissingAsync(acc);
            }
        }
    }

    [Fact]
    public async Task The_bearer_scheme_is_case_insensitive_and_other_schemes_are_not_keys()
    {
        using var lower = server.Factory.CreateClient();
        lower.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "bearer " + Keys.Read);
        using (var response = await lower.GetAsync("/api/v1/scorecard"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var basic = server.Factory.CreateClient();
        basic.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("u:" + Keys.Read)));
        using (var response = await basic.GetAsync("/api/v1/scorecard"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
    }

    [Fact]
    public async Task Readyz_needs_no_key()
    {
        using var response = await server.Anonymous.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
