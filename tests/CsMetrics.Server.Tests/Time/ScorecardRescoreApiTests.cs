using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsMetrics.Server.Tests.Support;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Time;

/// <summary>
/// A new scorecard over HTTP: the preview predicts the band changes, PUT activates version 2, the
/// background re-score reaches every account, and the at-risk watchlist (HTTP and hub) follows.
/// The server is this class's own: its account counts are exact.
/// </summary>
public sealed class ScorecardRescoreApiTests(RescoreServerFixture server) : IClassFixture<RescoreServerFixture>, IAsyncLifetime
{
    private HubWatcher? _watcher;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_watcher is not null)
        {
            await _watcher.DisposeAsync();
        }
    }

    /// <summary>Account kinds: signals, then (score, band) under the default card. Revenue scores do not move with the clock.</summary>
    private static readonly (string Kind, Func<string, JsonObject[]> Signals, double? Score, string? Band)[] Kinds =
    [
        // Engagement 100, adoption 0 → 60: yellow, and still yellow with red at 60 (the cut-off is "below").
        ("usage", id => [Usage(id, feature: null)], 60, "yellow"),
        // MRR −10 % → 50; −12 % → 45: yellow, red under the new card.
        ("shrinking", id => [Revenue(id, 1000, at: DateTimeOffset.UtcNow.AddDays(-40)), Revenue(id, 900)], 50, "yellow"),
        ("sliding", id => [Revenue(id, 1000, at: DateTimeOffset.UtcNow.AddDays(-40)), Revenue(id, 880)], 45, "yellow"),
        // −5 % → 62.5: yellow under both.
        ("slipping", id => [Revenue(id, 1000, at: DateTimeOffset.UtcNow.AddDays(-40)), Revenue(id, 950)], 62.5, "yellow"),
        ("flat", id => [Revenue(id, 1000)], 75, "green"),
        ("churning", id => [Revenue(id, 1000, at: DateTimeOffset.UtcNow.AddDays(-40)), Revenue(id, 800)], 25, "red"),
        ("registered", _ => [], null, null),
    ];

    private static string? Band(JsonObject account) => account["health"]!["band"]?.GetValue<string>();

    private static double? Score(JsonObject account) => account["health"]!["score"]?.GetValue<double>();

    [Fact]
    public async Task A_new_scorecard_rescores_every_account_exactly_as_previewed_and_watchers_see_it()
    {
        string owner = "owner-" + Guid.NewGuid().ToString("N")[..10];
        var ids = Kinds.ToDictionary(k => k.Kind, k => NewAccountId(k.Kind));
        foreach (var (kind, signals, _, _) in Kinds)
        {
            await server.Admin.RegisterAsync(ids[kind], name: kind, owner: owner, segment: "smb");
            if (signals(ids[kind]) is { Length: > 0 } batch)
            {
                await server.Ingest.IngestAsync(Batch(batch));
            }
        }
        var before = new Dictionary<string, JsonObject>();
        foreach (var (kind, _, score, band) in Kinds)
        {
            before[kind] = (await server.Read.GetAccountAsync(ids[kind]))!;
            Assert.Equal((score, band, 1), (Score(before[kind]), Band(before[kind]), before[kind]["health"]!["scorecardVersion"]!.GetValue<int>()));
        }
        await TimeApi.Until(() => server.Read.GetOkAsync($"/api/v1/accounts?owner={owner}&limit=100"),
            l => l["accounts"]!.AsArray().Count(a => a!["score"] is not null) == Kinds.Length - 1);
        await TimeApi.Until(() => server.Read.GetOkAsync("/api/v1/watchlists/at-risk"), w => w.Row(ids["churning"]) is not null);
        var idle = await server.Read.GetOkAsync("/api/v1/scorecard/rescore");
        Assert.Equal((1, 0, 0, true), (idle["version"]!.GetValue<int>(), idle["done"]!.GetValue<int>(), idle["total"]!.GetValue<int>(), idle["finished"]!.GetValue<bool>()));

        // A watcher of the at-risk list, from before the change.
        _watcher = await HubWatcher.SubscribeAsync(server.Factory, Keys.Read, "at-risk");
        Assert.Contains(ids["churning"], _watcher.Rows.Keys);
        Assert.DoesNotContain(ids["shrinking"], _watcher.Rows.Keys);

        // The new card: the default with red below 60 instead of 40.
        var card = await server.Read.GetScorecardAsync();
        card.Remove("version");
        card["bands"]!["red"] = 60;
        string json = card.ToJsonString();

        // Preview first: accounts per band before and after, and which accounts change band.
        JsonObject preview;
        using (var response = await server.Admin.PostAsync("/api/v1/scorecard/preview", TimeApi.Json(json)))
        {
            preview = (await response.ReadJsonAsync())!.AsObject();
            Assert.True(response.StatusCode == HttpStatusCode.OK, preview.ToJsonString());
        }
        Assert.Equal(Kinds.Length, preview["accounts"]!.GetValue<int>());
        Assert.Equal("""{"red":1,"yellow":4,"green":1,"none":1}""", preview["bandsBefore"]!.ToJsonString());
        Assert.Equal("""{"red":3,"yellow":2,"green":1,"none":1}""", preview["bandsAfter"]!.ToJsonString());
        Assert.Equal(2, preview["changed"]!.GetValue<int>());
        var predicted = preview["changes"]!.AsArray().Select(c => c!.AsObject()).ToList();
        Assert.Equal(new[] { ids["shrinking"], ids["sliding"] }.Order(StringComparer.Ordinal), predicted.Select(c => c["accountId"]!.GetValue<string>()));
        var shrinking = predicted.Single(c => c["accountId"]!.GetValue<string>() == ids["shrinking"]);
        Assert.Equal("""{"before":50,"bandBefore":"yellow","after":50,"bandAfter":"red"}""",
            new JsonObject { ["before"] = shrinking["before"]!.DeepClone(), ["bandBefore"] = shrinking["bandBefore"]!.DeepClone(), ["after"] = shrinking["after"]!.DeepClone(), ["bandAfter"] = shrinking["bandAfter"]!.DeepClone() }.ToJsonString());
        // A preview applies nothing.
        Assert.Equal(1, (await server.Read.GetScorecardAsync())["version"]!.GetValue<int>());
        Assert.Equal("yellow", Band((await server.Read.GetAccountAsync(ids["shrinking"]))!));

        // Activate.
        using (var response = await server.Admin.PutAsync("/api/v1/scorecard", TimeApi.Json(json)))
        {
            var body = (await response.ReadJsonAsync())!.AsObject();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToJsonString());
            Assert.Equal(2, body["version"]!.GetValue<int>());
            Assert.Equal(60, body["bands"]!["red"]!.GetValue<int>());
        }

        // The background re-score reaches every account.
        var progress = await TimeApi.Until(() => server.Read.GetOkAsync("/api/v1/scorecard/rescore"),
            p => p["version"]!.GetValue<int>() == 2 && p["finished"]!.GetValue<bool>());
        Assert.Equal((2, Kinds.Length, Kinds.Length, true),
            (progress["version"]!.GetValue<int>(), progress["done"]!.GetValue<int>(), progress["total"]!.GetValue<int>(), progress["finished"]!.GetValue<bool>()));
        var active = await server.Read.GetScorecardAsync();
        Assert.Equal((2, 60, 70), (active["version"]!.GetValue<int>(), active["bands"]!["red"]!.GetValue<int>(), active["bands"]!["yellow"]!.GetValue<int>()));

        // Every account is on version 2, and exactly the predicted accounts changed band, as predicted.
        var changed = new List<string>();
        foreach (var (kind, _, score, band) in Kinds)
        {
            var account = (await server.Read.GetAccountAsync(ids[kind]))!;
            Assert.True(account["health"]!["scorecardVersion"]!.GetValue<int>() == 2, $"{kind}: {account.ToJsonString()}");
            Assert.Equal(score, Score(account)); // bands moved, scores did not
            if (Band(account) != band)
            {
                changed.Add(ids[kind]);
                var p = predicted.Single(c => c["accountId"]!.GetValue<string>() == ids[kind]);
                Assert.Equal((p["after"]!.GetValue<double>(), p["bandAfter"]!.GetValue<string>()), (Score(account)!.Value, Band(account)!));
                var why = account["health"]!["explanation"]!;
                Assert.Equal(("reevaluation", "scorecard v2 applied", band, "red"),
                    (why["signalType"]!.GetValue<string>(), why["reason"]!.GetValue<string>(), why["bandBefore"]!.GetValue<string>(), why["bandAfter"]!.GetValue<string>()));
            }
        }
        Assert.Equal(predicted.Select(c => c["accountId"]!.GetValue<string>()), changed.Order(StringComparer.Ordinal));

        // History marks the version change.
        var points = (await server.Read.GetOkAsync($"/api/v1/accounts/{ids["shrinking"]}/history"))["points"]!.AsArray();
        Assert.Equal(2, points.Count);
        Assert.Equal((50.0, "yellow", 1), (points[0]!["score"]!.GetValue<double>(), points[0]!["band"]!.GetValue<string>(), points[0]!["scorecardVersion"]!.GetValue<int>()));
        Assert.Equal((50.0, "red", 2), (points[1]!["score"]!.GetValue<double>(), points[1]!["band"]!.GetValue<string>(), points[1]!["scorecardVersion"]!.GetValue<int>()));

        // The at-risk watchlist follows: over HTTP…
        string[] red = [ids["shrinking"], ids["sliding"], ids["churning"]];
        var atRisk = await TimeApi.Until(() => server.Read.GetOkAsync("/api/v1/watchlists/at-risk"), w => red.All(id => w.Row(id) is not null));
        Assert.All(red, id => Assert.Equal("red", atRisk.Row(id)!["band"]!.GetValue<string>()));
        Assert.Equal("scorecard v2 applied", atRisk.Row(ids["shrinking"])!["reason"]!.GetValue<string>());
        Assert.All(new[] { "usage", "slipping", "flat", "registered" }, k => Assert.Null(atRisk.Row(ids[k])));

        // …and over the hub, as upserts of the two accounts that turned red.
        await _watcher.WaitUntilAsync(rows => red.All(rows.ContainsKey), "the re-scored accounts in at-risk");
        var upserted = _watcher.Applied.SelectMany(m => m.GetProperty("changes").EnumerateArray())
            .Where(c => c.GetProperty("op").GetString() == "upsert")
            .Select(c => c.GetProperty("accountId").GetString())
            .ToHashSet();
        Assert.Contains(ids["shrinking"], upserted);
        Assert.Contains(ids["sliding"], upserted);
        var row = _watcher.Rows[ids["sliding"]];
        Assert.Equal((45.0, "red"), (row.GetProperty("score").GetDouble(), row.GetProperty("band").GetString()));
        Assert.Equal(JsonValueKind.False, row.GetProperty("overridden").ValueKind);
    }
}
