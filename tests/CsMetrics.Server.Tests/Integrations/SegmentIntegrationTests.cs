using System.Net;
using System.Text.Json.Nodes;
using CsMetrics.Server.Tests.Support;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Integrations;

/// <summary>
/// Segment HTTP Tracking API calls, shaped like the public spec's examples
/// (https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/).
/// </summary>
[Collection(IntegrationsServerCollection.Name)]
public sealed class SegmentIntegrationTests(IntegrationsServerFixture server)
{
    private static JsonObject TrackCall(string userId, string? groupId, string? messageId = null, string eventName = "Report Exported")
    {
        var context = new JsonObject
        {
            ["ip"] = "24.5.68.47",
            ["library"] = new JsonObject { ["name"] = "analytics-node", ["version"] = "6.0.0" },
        };
        if (groupId is not null)
        {
            context["groupId"] = groupId;
        }
        return new JsonObject
        {
            ["type"] = "track",
            ["userId"] = userId,
            ["event"] = eventName,
            ["properties"] = new JsonObject { ["format"] = "csv", ["rows"] = 1200 },
            ["context"] = context,
            ["messageId"] = messageId ?? NewId("ajs-next"),
            ["timestamp"] = Iso(Recent),
        };
    }

    private static JsonObject GroupCall(string userId, string groupId) => new()
    {
        ["type"] = "group",
        ["userId"] = userId,
        ["groupId"] = groupId,
        ["traits"] = new JsonObject { ["name"] = "Initech", ["industry"] = "Technology", ["employees"] = 420, ["plan"] = "enterprise" },
        ["messageId"] = NewId("grp"),
        ["timestamp"] = Iso(Recent),
    };

    private async Task<HttpResponseMessage> PostAsync(string path, JsonNode body, string key = Keys.Ingest)
    {
        using var client = server.SegmentClient(key);
        return await client.PostAsync(path, IntegrationsServerFixture.Json(body));
    }

    private static async Task AssertSuccessAsync(HttpResponseMessage response)
    {
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected 200, got {(int)response.StatusCode}: {body?.ToJsonString()}");
        Assert.True(body!["success"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Track_with_group_in_context_is_a_usage_signal_and_a_retry_is_deduplicated()
    {
        string account = NewAccountId("seg");
        var track = TrackCall("019mr8mf4r", account);
        using (var first = await PostAsync("/api/v1/integrations/segment", track))
        {
            await AssertSuccessAsync(first);
        }
        using (var retry = await PostAsync("/api/v1/integrations/segment/v1/track", track))
        {
            await AssertSuccessAsync(retry);
        }
        var view = await server.Read.GetAccountAsync(account);
        Assert.Equal((1L, 0L, 0L, 0L), view!.Counts());
    }

    [Fact]
    public async Task Group_links_the_user_and_registers_the_profile_then_track_is_attributed()
    {
        string account = NewAccountId("seg");
        string user = NewId("user");
        using (var group = await PostAsync("/api/v1/integrations/segment/v1/group", GroupCall(user, account)))
        {
            await AssertSuccessAsync(group);
        }
        var registered = await server.Read.GetAccountAsync(account);
        Assert.Equal("Initech", registered!["name"]!.GetValue<string>());
        Assert.Equal("enterprise", registered["segment"]!.GetValue<string>());
        Assert.Equal(420, registered["seats"]!.GetValue<int>());

        // A later call with no groupId: attributed through the remembered link.
        using (var track = await PostAsync("/api/v1/integrations/segment", TrackCall(user, null)))
        {
            await AssertSuccessAsync(track);
        }
        var view = await server.Read.GetAccountAsync(account);
        Assert.Equal(1L, view!.Counts().Usage);
        Assert.Equal("Initech", view!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Identify_with_company_id_links_the_user()
    {
        string account = NewAccountId("seg");
        string user = NewId("user");
        var identify = new JsonObject
        {
            ["type"] = "identify",
            ["userId"] = user,
            ["traits"] = new JsonObject { ["email"] = "peter@example.com", ["name"] = "Peter Gibbons", ["company"] = new JsonObject { ["id"] = account, ["name"] = "Initech" } },
            ["timestamp"] = Iso(Recent),
        };
        using (var response = await PostAsync("/api/v1/integrations/segment", identify))
        {
            await AssertSuccessAsync(response);
        }
        using (var track = await PostAsync("/api/v1/integrations/segment", TrackCall(user, null)))
        {
            await AssertSuccessAsync(track);
        }
        Assert.Equal(1L, (await server.Read.GetAccountAsync(account))!.Counts().Usage);
    }

    [Fact]
    public async Task Batch_of_mixed_calls_is_applied_in_order()
    {
        string a = NewAccountId("seg");
        string b = NewAccountId("seg");
        string u1 = NewId("user");
        string u2 = NewId("user");
        var batch = new JsonObject
        {
            ["batch"] = new JsonArray
            {
                GroupCall(u1, a),
                TrackCall(u1, null),
                new JsonObject { ["type"] = "identify", ["userId"] = u2, ["traits"] = new JsonObject { ["groupId"] = b } },
                TrackCall(u2, null, eventName: "Dashboard Viewed"),
                TrackCall(u2, null, eventName: "Report Exported"),
                new JsonObject { ["type"] = "page", ["userId"] = u2, ["name"] = "Home" },
            },
            ["sentAt"] = Iso(Recent),
        };
        using (var response = await PostAsync("/api/v1/integrations/segment/batch", batch))
        {
            await AssertSuccessAsync(response);
        }
        Assert.Equal(1L, (await server.Read.GetAccountAsync(a))!.Counts().Usage);
        Assert.Equal(2L, (await server.Read.GetAccountAsync(b))!.Counts().Usage);
    }

    [Fact]
    public async Task Track_without_a_resolvable_account_is_rejected_naming_the_field()
    {
        var track = TrackCall(NewId("stranger"), null);
        using var response = await PostAsync("/api/v1/integrations/segment", track);
        var problem = await HttpAssertions.AssertProblemAsync(response, 400);
        Assert.Contains("context.groupId", problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Batch_with_a_bad_call_applies_nothing()
    {
        string account = NewAccountId("seg");
        var batch = new JsonObject
        {
            ["batch"] = new JsonArray { TrackCall("u", account), new JsonObject { ["type"] = "track", ["userId"] = "u", ["context"] = new JsonObject { ["groupId"] = account } } },
        };
        using var response = await PostAsync("/api/v1/integrations/segment", batch);
        var problem = await HttpAssertions.AssertProblemAsync(response, 400);
        Assert.Contains("batch[1].event", problem["detail"]!.GetValue<string>());
        await server.Read.AssertAccountMissingAsync(account);
    }

    [Fact]
    public async Task Basic_auth_is_required_and_needs_the_ingest_scope()
    {
        var track = TrackCall("u", NewAccountId("seg"));
        using (var anonymous = await server.Anonymous.PostAsync("/api/v1/integrations/segment", IntegrationsServerFixture.Json(track)))
        {
            await HttpAssertions.AssertProblemAsync(anonymous, 401);
            Assert.StartsWith("Basic", anonymous.Headers.WwwAuthenticate.ToString());
        }
        using (var unknown = await PostAsync("/api/v1/integrations/segment", track, key: "not-a-key"))
        {
            await HttpAssertions.AssertProblemAsync(unknown, 401);
        }
        using (var readOnly = await PostAsync("/api/v1/integrations/segment", track, key: Keys.Read))
        {
            await HttpAssertions.AssertProblemAsync(readOnly, 403);
        }
        using (var admin = await PostAsync("/api/v1/integrations/segment", track, key: Keys.Admin))
        {
            await AssertSuccessAsync(admin);
        }
    }
}
