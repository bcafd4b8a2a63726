using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using CsMetrics.Server.Tests.Support;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Time;

/// <summary>
/// GET /api/v1/accounts/{id}/history and PUT/DELETE /api/v1/accounts/{id}/override. Scores come
/// from revenue signals only (MRR change over 90 days), so they do not move with the real clock.
/// </summary>
[Collection(TimeServerCollection.Name)]
public sealed class OverrideAndHistoryApiTests(TimeServerFixture server)
{
    /// <summary>The admin key is the third of <see cref="Keys.Configuration"/>: the server names it env-3.</summary>
    private const string AdminName = "env-3";

    private static string Url(string accountId, string what) => $"/api/v1/accounts/{Uri.EscapeDataString(accountId)}/{what}";

    private static string Iso(DateTimeOffset t) => Uri.EscapeDataString(t.ToString("O", CultureInfo.InvariantCulture));

    /// <summary>MRR 1000 forty days ago, 900 now: −10 % → revenue 50, score 50, yellow.</summary>
    private async Task<string> ShrinkingAccountAsync(string prefix, string? owner = null)
    {
        string id = NewAccountId(prefix);
        if (owner is not null)
        {
            await server.Admin.RegisterAsync(id, name: "Globex", owner: owner, segment: "smb");
        }
        await server.Ingest.IngestAsync(Batch(
            Revenue(id, 1000, at: DateTimeOffset.UtcNow.AddDays(-40)),
            Revenue(id, 900, at: DateTimeOffset.UtcNow.AddMinutes(-5))));
        return id;
    }

    [Fact]
    public async Task History_is_404_for_an_unknown_account_and_lists_the_points_of_a_known_one()
    {
        using (var unknown = await server.Read.GetAsync(Url(NewAccountId("nobody"), "history")))
        {
            await HttpAssertions.AssertProblemAsync(unknown, 404);
        }

        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        string id = await ShrinkingAccountAsync("hist");
        var after = DateTimeOffset.UtcNow.AddSeconds(1);

        // Both signals applied in one call: one point, the latest score.
        var body = await server.Read.GetOkAsync(Url(id, "history"));
        Assert.Equal(id, body["accountId"]!.GetValue<string>());
        var point = Assert.Single(body["points"]!.AsArray())!.AsObject();
        Assert.Equal(["at", "band", "score", "scorecardVersion"], point.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal((50.0, "yellow", 1), (point["score"]!.GetValue<double>(), point["band"]!.GetValue<string>(), point["scorecardVersion"]!.GetValue<int>()));
        var at = point["at"]!.GetValue<DateTimeOffset>();
        Assert.InRange(at, before, after);

        // from/to select.
        var inRange = await server.Read.GetOkAsync($"{Url(id, "history")}?from={Iso(before)}&to={Iso(after)}");
        Assert.Single(inRange["points"]!.AsArray());
        var earlier = await server.Read.GetOkAsync($"{Url(id, "history")}?from={Iso(before.AddDays(-10))}&to={Iso(before)}");
        Assert.Empty(earlier["points"]!.AsArray());
        var later = await server.Read.GetOkAsync($"{Url(id, "history")}?from={Iso(after)}&to={Iso(after.AddMinutes(1))}");
        Assert.Empty(later["points"]!.AsArray());

        using (var backwards = await server.Read.GetAsync($"{Url(id, "history")}?from={Iso(after)}&to={Iso(before)}"))
        {
            await HttpAssertions.AssertProblemAsync(backwards, 400);
        }
        using (var ingestOnly = await server.Ingest.GetAsync(Url(id, "history")))
        {
            await HttpAssertions.AssertProblemAsync(ingestOnly, 403);
        }
    }

    public static TheoryData<string, string> InvalidOverrides()
    {
        string future = DateTimeOffset.UtcNow.AddDays(7).ToString("O", CultureInfo.InvariantCulture);
        string past = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O", CultureInfo.InvariantCulture);
        string tooFar = DateTimeOffset.UtcNow.AddDays(400).ToString("O", CultureInfo.InvariantCulture);
        return new TheoryData<string, string>
        {
            { $$"""{"band":"red","score":20,"reason":"x","expiresAt":"{{future}}"}""", "exactly one of band or score" },
            { $$"""{"reason":"x","expiresAt":"{{future}}"}""", "exactly one of band or score" },
            { $$"""{"band":"purple","reason":"x","expiresAt":"{{future}}"}""", "band must be red, yellow or green" },
            { $$"""{"score":100.5,"reason":"x","expiresAt":"{{future}}"}""", "score must be within 0–100" },
            { $$"""{"score":-1,"reason":"x","expiresAt":"{{future}}"}""", "score must be within 0–100" },
            { $$"""{"band":"red","expiresAt":"{{future}}"}""", "reason is required" },
            { $$"""{"band":"red","reason":"   ","expiresAt":"{{future}}"}""", "reason is required" },
            { $$"""{"band":"red","reason":"{{new string('r', 501)}}","expiresAt":"{{future}}"}""", "reason is required" },
            { $$"""{"band":"red","reason":"x"}""", "expiresAt is required" },
            { $$"""{"band":"red","reason":"x","expiresAt":"{{past}}"}""", "expiresAt is required: a time in the future" },
            { $$"""{"band":"red","reason":"x","expiresAt":"{{tooFar}}"}""", "at most a year ahead" },
        };
    }

    [Theory]
    [MemberData(nameof(InvalidOverrides))]
    public async Task An_invalid_override_is_refused_and_changes_nothing(string body, string error)
    {
        string id = await ShrinkingAccountAsync("invalid");
        using var response = await server.Admin.PutAsync(Url(id, "override"), TimeApi.Json(body));
        var problem = await HttpAssertions.AssertProblemAsync(response, 400);
        Assert.Equal("Invalid override", problem["title"]!.GetValue<string>());
        Assert.Contains(error, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        var account = (await server.Read.GetAccountAsync(id))!;
        Assert.False(account["health"]!["overridden"]!.GetValue<bool>());
        Assert.Empty(account["overrideAudit"]!.AsArray());
    }

    [Fact]
    public async Task An_override_shows_on_the_account_the_listing_and_the_watchlist_until_it_is_lifted()
    {
        string owner = "owner-" + Guid.NewGuid().ToString("N")[..10];
        string id = await ShrinkingAccountAsync("ovr", owner);
        var expires = DateTimeOffset.UtcNow.AddDays(14);
        var setFrom = DateTimeOffset.UtcNow.AddSeconds(-1);

        using (var response = await server.Admin.PutOverrideAsync(id, new { band = "red", reason = "  exec escalation ", expiresAt = expires }))
        {
            var body = (await response.ReadJsonAsync())!.AsObject();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToJsonString());
            Assert.Equal(id, body["accountId"]!.GetValue<string>());
        }

        var account = (await server.Read.GetAccountAsync(id))!;
        var health = account["health"]!.AsObject();
        Assert.Equal((50.0, "red", true), (health["score"]!.GetValue<double>(), health["band"]!.GetValue<string>(), health["overridden"]!.GetValue<bool>()));
        Assert.Equal((50.0, "yellow"), (health["computedScore"]!.GetValue<double>(), health["computedBand"]!.GetValue<string>()));
        Assert.Equal(1, health["scorecardVersion"]!.GetValue<int>());
        var o = health["override"]!.AsObject();
        Assert.Equal("red", o["band"]!.GetValue<string>());
        Assert.Null(o["score"]);
        Assert.Equal("exec escalation", o["reason"]!.GetValue<string>()); // trimmed
        Assert.Equal(expires, o["expiresAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal(AdminName, o["by"]!.GetValue<string>());
        Assert.InRange(o["setAt"]!.GetValue<DateTimeOffset>(), setFrom, DateTimeOffset.UtcNow);
        var set = Assert.Single(account["overrideAudit"]!.AsArray())!;
        Assert.Equal(("set", "red", AdminName, "exec escalation"), (set["action"]!.GetValue<string>(), set["band"]!.GetValue<string>(), set["by"]!.GetValue<string>(), set["reason"]!.GetValue<string>()));

        // The listing and the at-risk watchlist show the override (index reports are one-way: poll).
        var listed = await TimeApi.Until(() => server.Read.GetOkAsync($"/api/v1/accounts?owner={owner}"),
            l => l["accounts"]!.AsArray().Any(a => a!["band"]?.GetValue<string>() == "red"));
        Assert.Equal((50.0, "red"), (listed["accounts"]![0]!["score"]!.GetValue<double>(), listed["accounts"]![0]!["band"]!.GetValue<string>()));
        var atRisk = await TimeApi.Until(() => server.Read.GetOkAsync("/api/v1/watchlists/at-risk"), w => w.Row(id) is not null);
        var row = atRisk.Row(id)!;
        Assert.True(row["overridden"]!.GetValue<bool>());
        Assert.Equal("override: exec escalation", row["reason"]!.GetValue<string>());

        // A score override replaces it: the band follows the score.
        using (var response = await server.Admin.PutOverrideAsync(id, new { score = 72.46, reason = "strategic account", expiresAt = expires }))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var h = (await response.ReadJsonAsync())!["health"]!;
            Assert.Equal((72.5, "green"), (h["score"]!.GetValue<double>(), h["band"]!.GetValue<string>()));
        }
        await TimeApi.Until(() => server.Read.GetOkAsync("/api/v1/watchlists/at-risk"), w => w.Row(id) is null);
        Assert.Null((await server.Read.GetOkAsync("/api/v1/watchlists/at-risk")).Row(id));

        // Lifting: back to the computed score, audited with who and why.
        using (var lifted = await server.Admin.DeleteAsync(Url(id, "override") + "?reason=resolved"))
        {
            Assert.Equal(HttpStatusCode.OK, lifted.StatusCode);
        }
        account = (await server.Read.GetAccountAsync(id))!;
        health = account["health"]!.AsObject();
        Assert.Equal((50.0, "yellow", false), (health["score"]!.GetValue<double>(), health["band"]!.GetValue<string>(), health["overridden"]!.GetValue<bool>()));
        Assert.Null(health["override"]);
        var audit = account["overrideAudit"]!.AsArray();
        Assert.Equal(["set", "set", "lifted"], audit.Select(a => a!["action"]!.GetValue<string>()));
        Assert.Equal(("resolved", AdminName, 72.5), (audit[2]!["reason"]!.GetValue<string>(), audit[2]!["by"]!.GetValue<string>(), audit[2]!["score"]!.GetValue<double>()));
        await TimeApi.Until(() => server.Read.GetOkAsync($"/api/v1/accounts?owner={owner}"),
            l => l["accounts"]!.AsArray().Any(a => a!["band"]?.GetValue<string>() == "yellow"));
    }

    [Fact]
    public async Task Overrides_need_an_admin_key_and_an_existing_account()
    {
        string id = await ShrinkingAccountAsync("auth");
        var body = new { band = "red", reason = "x", expiresAt = DateTimeOffset.UtcNow.AddDays(1) };
        foreach (var client in new[] { server.Read, server.Ingest })
        {
            using (var put = await client.PutOverrideAsync(id, body))
            {
                await HttpAssertions.AssertProblemAsync(put, 403);
            }
            using (var delete = await client.DeleteAsync(Url(id, "override")))
            {
                await HttpAssertions.AssertProblemAsync(delete, 403);
            }
        }
        string unknown = NewAccountId("nobody");
        using (var put = await server.Admin.PutOverrideAsync(unknown, body))
        {
            await HttpAssertions.AssertProblemAsync(put, 404);
        }
        using (var delete = await server.Admin.DeleteAsync(Url(unknown, "override")))
        {
            await HttpAssertions.AssertProblemAsync(delete, 404);
        }
        await server.Read.AssertAccountMissingAsync(unknown);

        // Lifting when nothing is overridden: 200, nothing audited.
        using var none = await server.Admin.DeleteAsync(Url(id, "override"));
        Assert.Equal(HttpStatusCode.OK, none.StatusCode);
        Assert.Empty((await none.ReadJsonAsync())!["overrideAudit"]!.AsArray());
    }

    [Fact]
    public async Task Overrides_their_audit_and_history_survive_a_restart_on_the_same_data_folder()
    {
        using var dataDir = new TempDirectory("csmetrics-time-restart");
        string id;
        JsonObject before;
        JsonObject history;
        var expires = DateTimeOffset.UtcNow.AddDays(3);

        await using (var first = new CsMetricsFactory(dataDir: dataDir.Path))
        {
            var admin = await Task.Run(() => first.ClientWithKey(Keys.Admin));
            id = NewAccountId("restart");
            await admin.IngestAsync(Batch(
                Revenue(id, 1000, at: DateTimeOffset.UtcNow.AddDays(-40)),
                Revenue(id, 900, at: DateTimeOffset.UtcNow.AddMinutes(-5))));
            using (var put = await admin.PutOverrideAsync(id, new { score = 12, reason = "churn notice", expiresAt = expires }))
            {
                Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            }
            using (var delete = await admin.DeleteAsync(Url(id, "override") + "?reason=mistake"))
            {
                Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
            }
            using (var put = await admin.PutOverrideAsync(id, new { band = "yellow", reason = "renewal talks", expiresAt = expires }))
            {
                Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            }
            before = (await admin.GetAccountAsync(id))!;
            history = await admin.GetOkAsync(Url(id, "history"));
        }

        await using var second = new CsMetricsFactory(dataDir: dataDir.Path);
        var read = await Task.Run(() => second.ClientWithKey(Keys.Read));
        var after = (await read.GetAccountAsync(id))!;
        Assert.Equal(before.ToJsonString(), after.ToJsonString());
        Assert.Equal(["set", "lifted", "set"], after["overrideAudit"]!.AsArray().Select(a => a!["action"]!.GetValue<string>()));
        var health = after["health"]!;
        Assert.Equal(("yellow", true, 50.0, "yellow"), (health["band"]!.GetValue<string>(), health["overridden"]!.GetValue<bool>(), health["computedScore"]!.GetValue<double>(), health["computedBand"]!.GetValue<string>()));
        Assert.Equal("renewal talks", health["override"]!["reason"]!.GetValue<string>());
        Assert.Equal(history.ToJsonString(), (await read.GetOkAsync(Url(id, "history"))).ToJsonString());
    }
}
