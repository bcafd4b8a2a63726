using System.Net;
using System.Text.Json.Nodes;
using CsMetrics.Server.Tests.Support;

namespace CsMetrics.Server.Tests.Time;

/// <summary>PUT /api/v1/scorecard and POST /api/v1/scorecard/preview refuse invalid documents, naming every error by its path.</summary>
[Collection(TimeServerCollection.Name)]
public sealed class ScorecardValidationTests(TimeServerFixture server)
{
    public enum Breakage { UnknownMetric, ZeroComponentWeight, NegativeMeasureWeight, UnorderedSteps, RedNotBelowYellow, MissingComponent }

    /// <summary>The active (default) card, broken one way; returns the document and the (path, message fragment) expected.</summary>
    private static (string Path, string Message) Break(JsonObject card, Breakage breakage)
    {
        var components = card["components"]!.AsArray();
        switch (breakage)
        {
            case Breakage.UnknownMetric:
                components[0]!["measures"]![0]!["metric"] = "logins_per_fortnight";
                return ("components[0].measures[0].metric", "unknown metric 'logins_per_fortnight'");
            case Breakage.ZeroComponentWeight:
                components[1]!["weight"] = 0;
                return ("components[1].weight", "must be positive");
            case Breakage.NegativeMeasureWeight:
                components[2]!["measures"]![1]!["weight"] = -1;
                return ("components[2].measures[1].weight", "must be positive");
            case Breakage.UnorderedSteps:
                components[0]!["measures"]![2]!["steps"] = new JsonArray(
                    new JsonObject { ["upTo"] = 7, ["score"] = 60 },
                    new JsonObject { ["upTo"] = 2, ["score"] = 100 });
                return ("components[0].measures[2].steps[1].upTo", "ascending");
            case Breakage.RedNotBelowYellow:
                card["bands"] = new JsonObject { ["red"] = 70, ["yellow"] = 70 };
                return ("bands", "red cut-off must be below the yellow cut-off");
            case Breakage.MissingComponent:
                components.RemoveAt(4);
                return ("components", "missing component 'revenue'");
            default:
                throw new ArgumentOutOfRangeException(nameof(breakage));
        }
    }

    private static async Task<JsonArray> AssertInvalidAsync(HttpResponseMessage response)
    {
        var problem = await HttpAssertions.AssertProblemAsync(response, 400);
        Assert.Equal("Invalid scorecard", problem["title"]!.GetValue<string>());
        return problem["errors"]!.AsArray();
    }

    public static TheoryData<Breakage> Breakages() => new(Enum.GetValues<Breakage>());

    [Theory]
    [MemberData(nameof(Breakages))]
    public async Task An_invalid_scorecard_is_refused_with_the_error_at_its_path_and_nothing_changes(Breakage breakage)
    {
        var card = await server.Read.GetScorecardAsync();
        Assert.Equal(1, card["version"]!.GetValue<int>());
        var (path, message) = Break(card, breakage);

        foreach (var url in new[] { "/api/v1/scorecard", "/api/v1/scorecard/preview" })
        {
            using var response = url.EndsWith("preview", StringComparison.Ordinal)
                ? await server.Admin.PostAsync(url, TimeApi.Json(card.ToJsonString()))
                : await server.Admin.PutAsync(url, TimeApi.Json(card.ToJsonString()));
            var errors = await AssertInvalidAsync(response);
            var error = Assert.Single(errors)!;
            Assert.Equal(path, error["path"]!.GetValue<string>());
            Assert.Contains(message, error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        // Still version 1, still the default bands.
        var after = await server.Read.GetScorecardAsync();
        Assert.Equal(1, after["version"]!.GetValue<int>());
        Assert.Equal(40, after["bands"]!["red"]!.GetValue<int>());
        var progress = await server.Read.GetOkAsync("/api/v1/scorecard/rescore");
        Assert.Equal(1, progress["version"]!.GetValue<int>());
    }

    [Fact]
    public async Task Every_error_of_a_document_is_named_at_once()
    {
        var card = await server.Read.GetScorecardAsync();
        var expected = Enum.GetValues<Breakage>().Select(b => Break(card, b)).ToList();

        using var response = await server.Admin.PutAsync("/api/v1/scorecard", TimeApi.Json(card.ToJsonString()));
        var errors = (await AssertInvalidAsync(response)).Select(e => (Path: e!["path"]!.GetValue<string>(), Message: e["message"]!.GetValue<string>())).ToList();
        Assert.Equal(expected.Count, errors.Count);
        foreach (var (path, message) in expected)
        {
            Assert.Contains(errors, e => e.Path == path && e.Message.Contains(message, StringComparison.Ordinal));
        }

        // Not JSON, not an object: one error at the root.
        foreach (var text in new[] { "{not json", "[1,2]" })
        {
            using var bad = await server.Admin.PutAsync("/api/v1/scorecard", TimeApi.Json(text));
            Assert.Equal("$", Assert.Single(await AssertInvalidAsync(bad))!["path"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Changing_or_previewing_the_scorecard_needs_an_admin_key()
    {
        string valid = (await server.Read.GetScorecardAsync()).ToJsonString();
        foreach (var (client, status) in new[] { (server.Read, 403), (server.Ingest, 403), (server.Anonymous, 401) })
        {
            using (var put = await client.PutAsync("/api/v1/scorecard", TimeApi.Json(valid)))
            {
                await HttpAssertions.AssertProblemAsync(put, status);
            }
            using (var preview = await client.PostAsync("/api/v1/scorecard/preview", TimeApi.Json(valid)))
            {
                await HttpAssertions.AssertProblemAsync(preview, status);
            }
        }
        // Reading the progress needs a read key.
        using (var progress = await server.Ingest.GetAsync("/api/v1/scorecard/rescore"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, progress.StatusCode);
        }
        Assert.Equal(1, (await server.Read.GetScorecardAsync())["version"]!.GetValue<int>());
    }
}
