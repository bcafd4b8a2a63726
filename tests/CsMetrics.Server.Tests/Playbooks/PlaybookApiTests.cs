using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CsMetrics.Server.Tests.Support;

namespace CsMetrics.Server.Tests.Playbooks;

/// <summary>The playbook HTTP contract of docs/playbooks.md: CRUD, validation, admin only.</summary>
[Collection(PlaybookServerCollection.Name)]
public sealed class PlaybookApiTests(PlaybookServerFixture server)
{
    private static object Valid(object? trigger = null, object? action = null, int? cooldownMinutes = 5) => new
    {
        name = "Detractors",
        trigger = trigger ?? new { type = "score_drop", points = 15 },
        action = action ?? new { type = "webhook", url = "https://hooks.example.com/cs" },
        cooldownMinutes,
    };

    [Fact]
    public async Task Put_get_list_and_delete_round_trip()
    {
        string id = $"api-{Guid.NewGuid():N}"[..16];
        using (var put = await server.Admin.PutAsJsonAsync($"/api/v1/playbooks/{id}", Valid(new { type = "band_falls", to = "red", from = "yellow", points = 3 })))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            var body = (await put.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Equal(id, body["id"]!.GetValue<string>());
            // Only the fields of the trigger's type are kept.
            Assert.Equal("""{"type":"band_falls","to":"red","from":"yellow"}""", body["trigger"]!.ToJsonString());
            Assert.Equal(5, body["cooldownMinutes"]!.GetValue<int>());
        }
        var one = await server.Admin.GetFromJsonAsync<JsonObject>($"/api/v1/playbooks/{id}");
        Assert.Equal("Detractors", one!["name"]!.GetValue<string>());
        Assert.Equal("https://hooks.example.com/cs", one["action"]!["url"]!.GetValue<string>());
        var all = await server.Admin.GetFromJsonAsync<JsonObject>("/api/v1/playbooks");
        Assert.Contains(all!["playbooks"]!.AsArray(), p => p!["id"]!.GetValue<string>() == id);
        var deliveries = await server.Admin.GetFromJsonAsync<JsonObject>($"/api/v1/playbooks/{id}/deliveries");
        Assert.Empty(deliveries!["deliveries"]!.AsArray());

        using (var del = await server.Admin.DeleteAsync($"/api/v1/playbooks/{id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, del.StatusCode);
        }
        foreach (var url in new[] { $"/api/v1/playbooks/{id}", $"/api/v1/playbooks/{id}/deliveries" })
        {
            using var gone = await server.Admin.GetAsync(url);
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }
        using var again = await server.Admin.DeleteAsync($"/api/v1/playbooks/{id}");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task Cooldown_defaults_to_an_hour()
    {
        string id = $"api-{Guid.NewGuid():N}"[..16];
        using var put = await server.Admin.PutAsJsonAsync($"/api/v1/playbooks/{id}", Valid(new { type = "enters_watchlist", watchlistId = "at-risk" }, cooldownMinutes: null));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(60, (await put.Content.ReadFromJsonAsync<JsonObject>())!["cooldownMinutes"]!.GetValue<int>());
        using var del = await server.Admin.DeleteAsync($"/api/v1/playbooks/{id}");
    }

    public static TheoryData<string, string> Invalid => new()
    {
        { "unknown trigger", """{"name":"x","trigger":{"type":"csat_drop"},"action":{"type":"webhook","url":"https://a.example"}}""" },
        { "detractor period 0", """{"name":"x","trigger":{"type":"nps_detractor","days":0},"action":{"type":"webhook","url":"https://a.example"}}""" },
        { "detractor period over a year", """{"name":"x","trigger":{"type":"nps_detractor","days":366},"action":{"type":"webhook","url":"https://a.example"}}""" },
        { "urgent without hours", """{"name":"x","trigger":{"type":"urgent_unanswered"},"action":{"type":"webhook","url":"https://a.example"}}""" },
        { "urgent over 30 days", """{"name":"x","trigger":{"type":"urgent_unanswered","hours":721},"action":{"type":"webhook","url":"https://a.example"}}""" },
        { "band to green", """{"name":"x","trigger":{"type":"band_falls","to":"green"},"action":{"type":"webhook","url":"https://a.example"}}""" },
        { "from not better", """{"name":"x","trigger":{"type":"band_falls","to":"yellow","from":"red"},"action":{"type":"webhook","url":"https://a.example"}}""" },
        { "no points", """{"name":"x","trigger":{"type":"score_drop"},"action":{"type":"webhook","url":"https://a.example"}}""" },
        { "unknown watchlist", """{"name":"x","trigger":{"type":"enters_watchlist","watchlistId":"nope-nope"},"action":{"type":"webhook","url":"https://a.example"}}""" },
        { "zero days", """{"name":"x","trigger":{"type":"no_usage","days":0},"action":{"type":"webhook","url":"https://a.example"}}""" },
        { "ftp url", """{"name":"x","trigger":{"type":"no_usage","days":7},"action":{"type":"webhook","url":"ftp://a.example/x"}}""" },
        { "relative url", """{"name":"x","trigger":{"type":"no_usage","days":7},"action":{"type":"slack","url":"/hook"}}""" },
        { "unknown action", """{"name":"x","trigger":{"type":"no_usage","days":7},"action":{"type":"email","url":"https://a.example"}}""" },
        { "no name", """{"trigger":{"type":"no_usage","days":7},"action":{"type":"webhook","url":"https://a.example"}}""" },
        { "negative cooldown", """{"name":"x","trigger":{"type":"no_usage","days":7},"action":{"type":"webhook","url":"https://a.example"},"cooldownMinutes":-1}""" },
        { "no action", """{"name":"x","trigger":{"type":"no_usage","days":7}}""" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public async Task Invalid_playbooks_are_400_problems(string why, string json)
    {
        using var response = await server.Admin.PutAsync("/api/v1/playbooks/bad-one", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, why);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var get = await server.Admin.GetAsync("/api/v1/playbooks/bad-one");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Theory]
    [InlineData("""{"type":"nps_detractor","days":14,"hours":3}""", """{"type":"nps_detractor","days":14}""")]
    [InlineData("""{"type":"nps_detractor"}""", """{"type":"nps_detractor"}""")]
    [InlineData("""{"type":"urgent_unanswered","hours":4,"days":2,"to":"red"}""", """{"type":"urgent_unanswered","hours":4}""")]
    public async Task Detractor_and_urgent_triggers_keep_only_their_own_fields(string trigger, string saved)
    {
        string id = $"api-{Guid.NewGuid():N}"[..16];
        string json = $$$"""{"name":"x","trigger":{{{trigger}}},"action":{"type":"webhook","url":"https://a.example"}}""";
        using var put = await server.Admin.PutAsync($"/api/v1/playbooks/{id}", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(saved, (await put.Content.ReadFromJsonAsync<JsonObject>())!["trigger"]!.ToJsonString());
        using var del = await server.Admin.DeleteAsync($"/api/v1/playbooks/{id}");
        Assert.Equal(HttpStatusCode.NoContent, del.StatusCode);
    }

    [Fact]
    public async Task An_invalid_urgent_trigger_says_which_field_and_range()
    {
        using var response = await server.Admin.PutAsync("/api/v1/playbooks/bad-urgent", new StringContent(
            """{"name":"x","trigger":{"type":"urgent_unanswered","hours":0},"action":{"type":"webhook","url":"https://a.example"}}""",
            System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("trigger.hours (how long an urgent ticket may wait for a first response) must be within 1–720", problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Invalid_id_is_400()
    {
        using var response = await server.Admin.PutAsJsonAsync("/api/v1/playbooks/Not%20Valid", Valid());
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Only_admin_keys_may_see_or_change_playbooks()
    {
        using (var anon = await server.Anonymous.GetAsync("/api/v1/playbooks"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anon.StatusCode);
        }
        foreach (var client in new[] { server.Read, server.Ingest })
        {
            using var list = await client.GetAsync("/api/v1/playbooks");
            Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
            using var put = await client.PutAsJsonAsync("/api/v1/playbooks/nope", Valid());
            Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
        }
    }
}
