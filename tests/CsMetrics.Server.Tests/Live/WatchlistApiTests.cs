using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CsMetrics.Server.Tests.Support;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Live;

/// <summary>The watchlist HTTP API of docs/watchlists.md.</summary>
[Collection(LiveServerCollection.Name)]
public sealed class WatchlistApiTests(LiveServerFixture server)
{
    /// <summary>docs/watchlists.md, in the order the list shows them.</summary>
    private static readonly string[] BuiltIns = ["at-risk", "dropping", "renewals-90d", "silent"];

    private static string NewWatchlistId() => "wl-" + Guid.NewGuid().ToString("N")[..12];

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    private async Task<JsonObject> GetWatchlistAsync(string id)
    {
        using var response = await server.Read.GetAsync($"/api/v1/watchlists/{id}");
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected 200, got {(int)response.StatusCode}: {body?.ToJsonString()}");
        return body!.AsObject();
    }

    private async Task<JsonObject> PutWatchlistAsync(string id, object body)
    {
        using var response = await server.Admin.PutAsJsonAsync($"/api/v1/watchlists/{id}", body);
        var json = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected 200, got {(int)response.StatusCode}: {json?.ToJsonString()}");
        return json!.AsObject();
    }

    /// <summary>Waits until the account index lists <paramref name="count"/> accounts of the owner, <paramref name="scored"/> of them scored.</summary>
    private async Task WaitForIndexAsync(string owner, int count, int scored)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            using var response = await server.Read.GetAsync($"/api/v1/accounts?owner={owner}&limit=100", cts.Token);
            var body = (await response.ReadJsonAsync())!.AsObject();
            var accounts = body["accounts"]!.AsArray();
            if (accounts.Count == count && accounts.Count(a => a!["score"] is not null) == scored)
            {
                return;
            }
            await Task.Delay(50, cts.Token);
        }
    }

    [Fact]
    public async Task List_holds_the_built_ins_first()
    {
        using var response = await server.Read.GetAsync("/api/v1/watchlists");
        var body = await response.ReadJsonAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var lists = body!["watchlists"]!.AsArray();
        Assert.True(lists.Count >= BuiltIns.Length);
        Assert.Equal(BuiltIns, lists.Take(BuiltIns.Length).Select(w => w!["id"]!.GetValue<string>()).ToArray());
        Assert.All(lists.Skip(BuiltIns.Length), w => Assert.False(w!["builtIn"]!.GetValue<bool>()));
        foreach (var w in lists.Take(BuiltIns.Length))
        {
            HttpAssertions.AssertHasProperties(w, "id", "name", "builtIn", "filter", "sort", "limit");
            Assert.True(w!["builtIn"]!.GetValue<bool>());
            Assert.Equal(100, w["limit"]!.GetValue<int>());
        }

        var atRisk = lists[0]!;
        Assert.Equal("At risk", atRisk["name"]!.GetValue<string>());
        Assert.Equal("score", atRisk["sort"]!.GetValue<string>());
        Assert.Equal(["red"], atRisk["filter"]!["bands"]!.AsArray().Select(b => b!.GetValue<string>()).ToArray());

        var dropping = lists[1]!;
        Assert.Equal("drop7d", dropping["sort"]!.GetValue<string>());
        Assert.Equal(10, dropping["filter"]!["minDrop7d"]!.GetValue<double>());

        var renewals = lists[2]!;
        Assert.Equal("renewal", renewals["sort"]!.GetValue<string>());
        Assert.Equal(90, renewals["filter"]!["renewalWithinDays"]!.GetValue<int>());
        Assert.Equal(["red", "yellow"], renewals["filter"]!["bands"]!.AsArray().Select(b => b!.GetValue<string>()).Order().ToArray());

        var silent = lists[3]!;
        Assert.Equal("score", silent["sort"]!.GetValue<string>());
        Assert.Equal(7, silent["filter"]!["minDaysSilent"]!.GetValue<int>());

        // Every built-in can be read by id.
        foreach (var id in BuiltIns)
        {
            var view = await GetWatchlistAsync(id);
            HttpAssertions.AssertHasProperties(view, "id", "name", "version", "entries");
            Assert.Equal(id, view["id"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task A_custom_owner_watchlist_is_filled_from_the_existing_index_in_sort_order()
    {
        string owner = "owner-" + Guid.NewGuid().ToString("N")[..10];
        string other = "other-" + Guid.NewGuid().ToString("N")[..10];
        // Three accounts of the owner with different scores (MRR change over 90 days), one unscored,
        // and one account of another owner.
        var now = DateTimeOffset.UtcNow;
        var scored = new (string Id, decimal Mrr, double Score)[]
        {
            (NewAccountId("wl-a"), 1020, 80),   // +2 %  → 80
            (NewAccountId("wl-b"), 700, 0),     // −30 % → 0
            (NewAccountId("wl-c"), 900, 50),    // −10 % → 50
        };
        foreach (var (id, mrr, _) in scored)
        {
            await server.Admin.RegisterAsync(id, name: "Acct " + id[^4..], owner: owner, segment: "smb", renewalDate: "2030-01-01");
            await server.Ingest.IngestAsync(Batch(Revenue(id, 1000, at: now.AddDays(-100)), Revenue(id, mrr, at: now.AddDays(-1))));
        }
        string unscored = NewAccountId("wl-u");
        await server.Admin.RegisterAsync(unscored, name: "Quiet", owner: owner);
        string foreign = NewAccountId("wl-f");
        await server.Admin.RegisterAsync(foreign, name: "Foreign", owner: other);
        await server.Ingest.IngestAsync(Batch(Revenue(foreign, 0)));
        await WaitForIndexAsync(owner, 4, 3);

        string wl = NewWatchlistId();
        var definition = await PutWatchlistAsync(wl, new { name = "My book", filter = new { owner } });
        Assert.Equal(wl, definition["id"]!.GetValue<string>());
        Assert.Equal("My book", definition["name"]!.GetValue<string>());
        Assert.False(definition["builtIn"]!.GetValue<bool>());
        Assert.Equal("score", definition["sort"]!.GetValue<string>());
        Assert.Equal(100, definition["limit"]!.GetValue<int>());
        Assert.Equal(owner, definition["filter"]!["owner"]!.GetValue<string>());

        var view = await GetWatchlistAsync(wl);
        Assert.Equal(wl, view["id"]!.GetValue<string>());
        Assert.Equal("My book", view["name"]!.GetValue<string>());
        var entries = view["entries"]!.AsArray();
        // Worst first; unscored last.
        Assert.Equal(
            [scored[1].Id, scored[2].Id, scored[0].Id, unscored],
            entries.Select(e => e!["accountId"]!.GetValue<string>()).ToArray());
        var worst = entries[0]!;
        HttpAssertions.AssertHasProperties(worst, "accountId", "name", "owner", "segment", "score", "band", "delta7d", "delta30d", "updatedAt", "reason", "renewalDate", "trend");
        Assert.Equal(0, worst["score"]!.GetValue<double>());
        Assert.Equal("red", worst["band"]!.GetValue<string>());
        Assert.Equal(owner, worst["owner"]!.GetValue<string>());
        Assert.Equal("smb", worst["segment"]!.GetValue<string>());
        Assert.Equal("2030-01-01", worst["renewalDate"]!.GetValue<string>());
        Assert.IsType<JsonArray>(worst["trend"]);
        Assert.Equal(50, entries[1]!["score"]!.GetValue<double>());
        Assert.Equal("yellow", entries[1]!["band"]!.GetValue<string>());
        Assert.Equal(80, entries[2]!["score"]!.GetValue<double>());
        Assert.Null(entries[3]!["score"]);

        // It is listed after the built-ins.
        using var list = await server.Read.GetAsync("/api/v1/watchlists");
        var ids = (await list.ReadJsonAsync())!["watchlists"]!.AsArray().Select(w => w!["id"]!.GetValue<string>()).ToList();
        Assert.Contains(wl, ids);
        Assert.True(ids.IndexOf(wl) >= BuiltIns.Length);

        // Replaced with a narrower filter and a limit: GET shows the new definition at once.
        await PutWatchlistAsync(wl, new { name = "My red book", filter = new { owner, bands = new[] { "red", "yellow" } }, limit = 1 });
        view = await GetWatchlistAsync(wl);
        Assert.Equal("My red book", view["name"]!.GetValue<string>());
        Assert.Equal([scored[1].Id], view["entries"]!.AsArray().Select(e => e!["accountId"]!.GetValue<string>()).ToArray());

        // Deleted: gone from GET and the list.
        using (var deleted = await server.Admin.DeleteAsync($"/api/v1/watchlists/{wl}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        using (var gone = await server.Read.GetAsync($"/api/v1/watchlists/{wl}"))
        {
            await HttpAssertions.AssertProblemAsync(gone, 404);
        }
        using (var again = await server.Admin.DeleteAsync($"/api/v1/watchlists/{wl}"))
        {
            await HttpAssertions.AssertProblemAsync(again, 404);
        }
    }

    [Fact]
    public async Task A_watchlist_sorted_by_renewal_puts_the_nearest_renewal_first()
    {
        string segment = "seg-" + Guid.NewGuid().ToString("N")[..10];
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var accounts = new[] { (Id: NewAccountId("rn-late"), Days: 80), (Id: NewAccountId("rn-soon"), Days: 5), (Id: NewAccountId("rn-mid"), Days: 30), (Id: NewAccountId("rn-far"), Days: 400) };
        foreach (var (id, days) in accounts)
        {
            await server.Admin.RegisterAsync(id, name: id, segment: segment, renewalDate: today.AddDays(days).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        }
        string wl = NewWatchlistId();
        // The index catches up with the registrations (one-way); poll the watchlist itself.
        await PutWatchlistAsync(wl, new { name = "Renewing", filter = new { segment, renewalWithinDays = 90 }, sort = "renewal" });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        string[] got;
        do
        {
            got = (await GetWatchlistAsync(wl))["entries"]!.AsArray().Select(e => e!["accountId"]!.GetValue<string>()).ToArray();
            if (got.Length < 3)
            {
                await Task.Delay(50, cts.Token);
            }
        }
        while (got.Length < 3);
        Assert.Equal([accounts[1].Id, accounts[2].Id, accounts[0].Id], got);
        using var deleted = await server.Admin.DeleteAsync($"/api/v1/watchlists/{wl}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }

    [Theory]
    [InlineData("at-risk")]
    [InlineData("dropping")]
    [InlineData("renewals-90d")]
    [InlineData("silent")]
    public async Task Built_ins_cannot_be_replaced_or_deleted(string id)
    {
        using (var put = await server.Admin.PutAsJsonAsync($"/api/v1/watchlists/{id}", new { name = "Mine now", filter = new { bands = new[] { "green" } } }))
        {
            await HttpAssertions.AssertProblemAsync(put, 409);
        }
        using (var delete = await server.Admin.DeleteAsync($"/api/v1/watchlists/{id}"))
        {
            await HttpAssertions.AssertProblemAsync(delete, 409);
        }
        // Unchanged.
        using var list = await server.Read.GetAsync("/api/v1/watchlists");
        var builtIn = (await list.ReadJsonAsync())!["watchlists"]!.AsArray().Single(w => w!["id"]!.GetValue<string>() == id)!;
        Assert.True(builtIn["builtIn"]!.GetValue<bool>());
        Assert.NotEqual("Mine now", builtIn["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unknown_watchlists_are_404()
    {
        using (var delete = await server.Admin.DeleteAsync($"/api/v1/watchlists/{NewWatchlistId()}"))
        {
            await HttpAssertions.AssertProblemAsync(delete, 404);
        }
        using (var get = await server.Read.GetAsync($"/api/v1/watchlists/{NewWatchlistId()}"))
        {
            await HttpAssertions.AssertProblemAsync(get, 404);
        }
        using (var invalidId = await server.Read.GetAsync("/api/v1/watchlists/Not.Valid"))
        {
            await HttpAssertions.AssertProblemAsync(invalidId, 404);
        }
    }

    public static TheoryData<string, string> InvalidBodies => new()
    {
        { "{}", "name" },
        { """{"name":"  "}""", "name" },
        { """{"name":"x","sort":"alphabetical"}""", "sort" },
        { """{"name":"x","limit":0}""", "limit" },
        { """{"name":"x","limit":1001}""", "limit" },
        { """{"name":"x","filter":{"bands":["purple"]}}""", "bands" },
        { """{"name":"x","filter":{"minScore":-1}}""", "minScore" },
        { """{"name":"x","filter":{"minScore":60,"maxScore":50}}""", "minScore" },
        { """{"name":"x","filter":{"minDrop7d":101}}""", "minDrop7d" },
        { """{"name":"x","filter":{"renewalWithinDays":-5}}""", "renewalWithinDays" },
        { "{\"name\":\"" + new string('n', 101) + "\"}", "name" },
        { "{\"name\":\"x\",\"filter\":{\"owner\":\"" + new string('o', 201) + "\"}}", "owner" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task Invalid_bodies_are_400_and_save_nothing(string body, string field)
    {
        string id = NewWatchlistId();
        using var response = await server.Admin.PutAsync($"/api/v1/watchlists/{id}", Json(body));
        var problem = await HttpAssertions.AssertProblemAsync(response, 400);
        Assert.Contains(field, problem["detail"]?.GetValue<string>() ?? "", StringComparison.Ordinal);
        using var get = await server.Read.GetAsync($"/api/v1/watchlists/{id}");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Theory]
    [InlineData("Upper")]
    [InlineData("dots.are.out")]
    [InlineData("a-very-long-id-that-goes-on-and-on-and-on-beyond-sixty-four-characters-x")]
    public async Task Invalid_ids_are_400(string id)
    {
        using var response = await server.Admin.PutAsync($"/api/v1/watchlists/{id}", Json("""{"name":"x"}"""));
        await HttpAssertions.AssertProblemAsync(response, 400);
    }

    [Fact]
    public async Task Malformed_or_missing_bodies_are_400()
    {
        using (var malformed = await server.Admin.PutAsync($"/api/v1/watchlists/{NewWatchlistId()}", Json("{\"name\":")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        }
        using (var wrongType = await server.Admin.PutAsync($"/api/v1/watchlists/{NewWatchlistId()}", Json("""{"name":"x","limit":"ten"}""")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, wrongType.StatusCode);
        }
        using (var empty = await server.Admin.PutAsync($"/api/v1/watchlists/{NewWatchlistId()}", Json("")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        }
    }

    [Fact]
    public async Task Scopes_read_key_reads_admin_key_writes()
    {
        string id = NewWatchlistId();
        using (var put = await server.Read.PutAsync($"/api/v1/watchlists/{id}", Json("""{"name":"x"}""")))
        {
            await HttpAssertions.AssertProblemAsync(put, 403);
        }
        using (var delete = await server.Read.DeleteAsync("/api/v1/watchlists/at-risk"))
        {
            await HttpAssertions.AssertProblemAsync(delete, 403);
        }
        using (var put = await server.Ingest.PutAsync($"/api/v1/watchlists/{id}", Json("""{"name":"x"}""")))
        {
            await HttpAssertions.AssertProblemAsync(put, 403);
        }
        using (var get = await server.Ingest.GetAsync("/api/v1/watchlists"))
        {
            await HttpAssertions.AssertProblemAsync(get, 403);
        }
        using (var anonymous = await server.Anonymous.GetAsync("/api/v1/watchlists"))
        {
            await HttpAssertions.AssertProblemAsync(anonymous, 401);
        }
        using (var anonymousPut = await server.Anonymous.PutAsync($"/api/v1/watchlists/{id}", Json("""{"name":"x"}""")))
        {
            await HttpAssertions.AssertProblemAsync(anonymousPut, 401);
        }
        // Nothing was saved; the admin key can read too.
        using (var get = await server.Admin.GetAsync($"/api/v1/watchlists/{id}"))
        {
            await HttpAssertions.AssertProblemAsync(get, 404);
        }
        using var adminList = await server.Admin.GetAsync("/api/v1/watchlists");
        Assert.Equal(HttpStatusCode.OK, adminList.StatusCode);
    }
}
