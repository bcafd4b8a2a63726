using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CsMetrics.Server.Tests.Support;
using CsMetrics.Server.Tests.Time;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Insights;

/// <summary>
/// GET /api/v1/voc, GET /api/v1/voc/themes/{theme}/comments and GET/PUT /api/v1/voc/themes.
/// Comments are dated in a past month of their own (imported history), so ranges select exactly them.
/// </summary>
[Collection(InsightsServerCollection.Name)]
public sealed class VocApiTests(InsightsServerFixture server)
{
    private static readonly DateTimeOffset March = new(2024, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static string Q(DateTimeOffset t) => Uri.EscapeDataString(t.ToString("O", CultureInfo.InvariantCulture));

    private static string Range(DateTimeOffset from, DateTimeOffset to) => $"from={Q(from)}&to={Q(to)}";

    private static (string Theme, int D, int P, int R, int Total) Row(JsonObject voc, string theme)
    {
        var row = voc["themes"]!.AsArray().Single(t => t!["theme"]!.GetValue<string>() == theme)!;
        return (theme, row["detractors"]!.GetValue<int>(), row["passives"]!.GetValue<int>(), row["promoters"]!.GetValue<int>(), row["total"]!.GetValue<int>());
    }

    /// <summary>Six NPS comments (and one CSAT comment, one NPS answer without comment, which are not themed) over two months.</summary>
    private async Task<(string Smb, string Ent, DateTimeOffset From, DateTimeOffset To)> SeedAsync(DateTimeOffset month, string owner)
    {
        string smb = NewAccountId("voc-smb"), ent = NewAccountId("voc-ent");
        await server.Admin.RegisterAsync(smb, segment: "smb", owner: owner);
        await server.Admin.RegisterAsync(ent, segment: "enterprise", owner: "someone-else");
        await server.Ingest.IngestAsync(Batch(
            Survey(smb, "nps", 2, id: NewId(), at: month.AddDays(1), respondentId: "a", comment: "Way too EXPENSIVE and the export is slow."),
            Survey(smb, "nps", 5, id: NewId(), at: month.AddDays(2), respondentId: "b", comment: "A bug in the dashboards, again"),
            Survey(smb, "nps", 8, id: NewId(), at: month.AddDays(3), respondentId: "c", comment: "Pricing is fair"),
            Survey(ent, "nps", 10, id: NewId(), at: month.AddDays(4), respondentId: "d", comment: "Support answers within the hour"),
            Survey(ent, "nps", 9, id: NewId(), at: month.AddDays(35), respondentId: "e", comment: "Love it"),
            Survey(ent, "nps", 0, id: NewId(), at: month.AddDays(36), respondentId: "f", comment: "Debugging our crashes costs us days"),
            Survey(ent, "csat", 1, id: NewId(), at: month.AddDays(5), respondentId: "g", comment: "expensive"),
            Survey(ent, "nps", 3, id: NewId(), at: month.AddDays(6), respondentId: "h")));
        return (smb, ent, month, month.AddMonths(2));
    }

    private async Task<JsonObject> VocWhenAsync(string query, int comments) =>
        await TimeApi.Until(() => server.Read.GetOkAsync($"/api/v1/voc?{query}"), v => v["comments"]!.GetValue<int>() >= comments);

    [Fact]
    public async Task Comments_are_grouped_into_themes_per_category_with_other_segments_and_owner_restricted_keys()
    {
        string owner = "csm-" + Guid.NewGuid().ToString("N")[..8];
        var (smb, ent, from, to) = await SeedAsync(March, owner);
        await server.Admin.PutAsJsonAsync("/api/v1/voc/themes", new { themes = DefaultThemes() });

        // Default themes (docs/voc.md):
        //   "Way too EXPENSIVE … slow."        detractor → price, performance
        //   "A bug in the dashboards, again"   detractor → bugs
        //   "Pricing is fair"                  passive   → price
        //   "Support answers within the hour"  promoter  → support ("support", "answers")
        //   "Love it"                          promoter  → other
        //   "Debugging our crashes costs us days" detractor → bugs ("crashes"), price ("costs"); "debugging" is no "bug"
        var voc = await VocWhenAsync(Range(from, to), 6);
        Assert.Equal(6, voc["comments"]!.GetValue<int>());
        Assert.Equal(["price", "bugs", "support", "onboarding", "performance", "other"], voc["themes"]!.AsArray().Select(t => t!["theme"]!.GetValue<string>()));
        Assert.Equal(("price", 2, 1, 0, 3), Row(voc, "price"));
        Assert.Equal(("bugs", 2, 0, 0, 2), Row(voc, "bugs"));
        Assert.Equal(("support", 0, 0, 1, 1), Row(voc, "support"));
        Assert.Equal(("onboarding", 0, 0, 0, 0), Row(voc, "onboarding"));
        Assert.Equal(("performance", 1, 0, 0, 1), Row(voc, "performance"));
        Assert.Equal(("other", 0, 0, 1, 1), Row(voc, "other"));

        // The first month only; one segment.
        var march = await server.Read.GetOkAsync($"/api/v1/voc?{Range(from, from.AddMonths(1))}");
        Assert.Equal(4, march["comments"]!.GetValue<int>());
        var smbOnly = await server.Read.GetOkAsync($"/api/v1/voc?{Range(from, to)}&segment=smb");
        Assert.Equal(3, smbOnly["comments"]!.GetValue<int>());
        Assert.Equal(("price", 1, 1, 0, 2), Row(smbOnly, "price"));
        Assert.Equal(("bugs", 1, 0, 0, 1), Row(smbOnly, "bugs"));

        // A read key restricted to the owner of the smb account sees only its comments.
        using var created = await server.Admin.PostAsJsonAsync("/api/v1/keys", new { name = "voc", scopes = new[] { "read" }, owner });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var restricted = server.Factory.ClientWithKey((await created.Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>());
        var mine = await restricted.GetOkAsync($"/api/v1/voc?{Range(from, to)}");
        Assert.Equal(3, mine["comments"]!.GetValue<int>());
        var mineBugs = await restricted.GetOkAsync($"/api/v1/voc/themes/bugs/comments?{Range(from, to)}");
        Assert.Equal([smb], mineBugs["comments"]!.AsArray().Select(c => c!["accountId"]!.GetValue<string>()));

        // The comments one click away: newest first, with account, score and time; paged; by category.
        var bugs = await server.Read.GetOkAsync($"/api/v1/voc/themes/bugs/comments?{Range(from, to)}");
        Assert.Equal(2, bugs["total"]!.GetValue<int>());
        var first = bugs["comments"]!.AsArray()[0]!.AsObject();
        Assert.Equal((ent, 0, "detractor", "Debugging our crashes costs us days", from.AddDays(36)),
            (first["accountId"]!.GetValue<string>(), first["score"]!.GetValue<int>(), first["category"]!.GetValue<string>(),
             first["comment"]!.GetValue<string>(), first["at"]!.GetValue<DateTimeOffset>()));
        Assert.Equal(smb, bugs["comments"]!.AsArray()[1]!["accountId"]!.GetValue<string>());

        var page2 = await server.Read.GetOkAsync($"/api/v1/voc/themes/price/comments?{Range(from, to)}&limit=1&offset=1");
        Assert.Equal((3, 1, 1), (page2["total"]!.GetValue<int>(), page2["offset"]!.GetValue<int>(), page2["limit"]!.GetValue<int>()));
        Assert.Equal(["Pricing is fair"], page2["comments"]!.AsArray().Select(c => c!["comment"]!.GetValue<string>()));

        var passives = await server.Read.GetOkAsync($"/api/v1/voc/themes/price/comments?{Range(from, to)}&category=passive");
        Assert.Equal(["Pricing is fair"], passives["comments"]!.AsArray().Select(c => c!["comment"]!.GetValue<string>()));
        var other = await server.Read.GetOkAsync($"/api/v1/voc/themes/other/comments?{Range(from, to)}");
        Assert.Equal(["Love it"], other["comments"]!.AsArray().Select(c => c!["comment"]!.GetValue<string>()));

        // Errors: an unknown theme, a bad category, bad paging, an inverted range.
        await HttpAssertions.AssertProblemAsync(await server.Read.GetAsync($"/api/v1/voc/themes/nope/comments?{Range(from, to)}"), 404);
        await HttpAssertions.AssertProblemAsync(await server.Read.GetAsync($"/api/v1/voc/themes/bugs/comments?category=angry"), 400);
        await HttpAssertions.AssertProblemAsync(await server.Read.GetAsync($"/api/v1/voc/themes/bugs/comments?limit=0"), 400);
        await HttpAssertions.AssertProblemAsync(await server.Read.GetAsync($"/api/v1/voc?{Range(to, from)}"), 400);
    }

    [Fact]
    public async Task Changing_the_keywords_regroups_the_kept_comments_and_only_admins_may()
    {
        var month = new DateTimeOffset(2023, 7, 1, 0, 0, 0, TimeSpan.Zero);
        var (_, _, from, to) = await SeedAsync(month, "csm-x");
        await server.Admin.PutAsJsonAsync("/api/v1/voc/themes", new { themes = DefaultThemes() });
        await VocWhenAsync(Range(from, to), 6);

        // The keywords are an admin matter: a read key may neither see nor change them.
        Assert.Equal(HttpStatusCode.Forbidden, (await server.Read.GetAsync("/api/v1/voc/themes")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await server.Read.PutAsJsonAsync("/api/v1/voc/themes", new { themes = DefaultThemes() })).StatusCode);

        using var put = await server.Admin.PutAsJsonAsync("/api/v1/voc/themes", new
        {
            themes = new object[]
            {
                new { name = "love", keywords = new[] { "love" } },
                new { name = "quality", keywords = new[] { "bug", "debugging", "crashes" } },
            },
        });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var set = await server.Admin.GetOkAsync("/api/v1/voc/themes");
        Assert.Equal(["love", "quality"], set["themes"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()));
        Assert.True(set["version"]!.GetValue<int>() >= 2);

        // The same six comments, re-grouped: quality = the bug comment and the crash comment.
        var voc = await server.Read.GetOkAsync($"/api/v1/voc?{Range(from, to)}");
        Assert.Equal(["love", "quality", "other"], voc["themes"]!.AsArray().Select(t => t!["theme"]!.GetValue<string>()));
        Assert.Equal(("love", 0, 0, 1, 1), Row(voc, "love"));
        Assert.Equal(("quality", 2, 0, 0, 2), Row(voc, "quality"));
        Assert.Equal(("other", 1, 1, 1, 3), Row(voc, "other"));
        await HttpAssertions.AssertProblemAsync(await server.Read.GetAsync($"/api/v1/voc/themes/price/comments?{Range(from, to)}"), 404);

        // Invalid themes are refused with every reason.
        using var bad = await server.Admin.PutAsJsonAsync("/api/v1/voc/themes", new
        {
            themes = new object[]
            {
                new { name = "other", keywords = new[] { "x" } },
                new { name = "Bad Name", keywords = new[] { "x" } },
                new { name = "empty", keywords = Array.Empty<string>() },
                new { name = "dup", keywords = new[] { "x" } },
                new { name = "dup", keywords = new[] { "--" } },
            },
        });
        var problem = await HttpAssertions.AssertProblemAsync(bad, 400);
        string detail = problem["detail"]!.GetValue<string>();
        Assert.Contains("themes[0].name", detail);
        Assert.Contains("themes[1].name", detail);
        Assert.Contains("themes[2].keywords", detail);
        Assert.Contains("themes[4].name \"dup\" is used twice", detail);
        Assert.Contains("themes[4].keywords[0]", detail);
        // Nothing changed.
        Assert.Equal(["love", "quality"], (await server.Admin.GetOkAsync("/api/v1/voc/themes"))["themes"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()));

        await server.Admin.PutAsJsonAsync("/api/v1/voc/themes", new { themes = DefaultThemes() });
    }

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("{\"themes\": \"price\"}")]
    [InlineData("{\"themes\": [null]}")]
    [InlineData("{\"themes\": [{\"name\": \"a\"}]}")]
    [InlineData("{\"themes\": [{\"name\": \"a\", \"keywords\": [null]}]}")]
    [InlineData("{\"themes\": [{\"name\": \"a\", \"keywords\": [\"x\u0000\"]}]}")]
    [InlineData("{\"themes\": [{\"name\": 5, \"keywords\": [\"x\"]}]}")]
    [InlineData("{\"themes\": [{\"name\": \"a\", \"keywords\": [\"x\"]}]")]
    public async Task Malformed_theme_documents_are_refused_with_400_and_change_nothing(string body)
    {
        var before = (await server.Admin.GetOkAsync("/api/v1/voc/themes"))["version"]!.GetValue<int>();
        using var response = await server.Admin.PutAsync("/api/v1/voc/themes", TimeApi.Json(body));
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{body}: expected 400, got {(int)response.StatusCode}");
        Assert.Equal(before, (await server.Admin.GetOkAsync("/api/v1/voc/themes"))["version"]!.GetValue<int>());
    }

    /// <summary>The defaults as docs/voc.md lists them (the tests of this class put them back, whatever ran before).</summary>
    private static object[] DefaultThemes() =>
        CsMetrics.Grains.Voc.VocThemesGrain.Defaults.Select(t => (object)new { name = t.Name, keywords = t.Keywords }).ToArray();
}
