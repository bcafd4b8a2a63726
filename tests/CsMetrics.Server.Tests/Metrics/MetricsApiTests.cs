using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CsMetrics.Server.Tests.Support;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Metrics;

public sealed class MetricsServerFixture : ServerFixture;

[CollectionDefinition(Name)]
public sealed class MetricsServerCollection : ICollectionFixture<MetricsServerFixture>
{
    public const string Name = "metrics server";
}

/// <summary>
/// GET /api/v1/metrics and /api/v1/accounts/{id}/metrics over HTTP: history imported newest
/// first, exact figures for past periods, filters, owner-restricted keys, validation, CSV.
/// Every test uses its own segment and owner names, so the portfolio it reads is its own.
/// </summary>
[Collection(MetricsServerCollection.Name)]
public sealed class MetricsApiTests(MetricsServerFixture server)
{
    private static DateTimeOffset T(int y, int m, int d, int h = 12, int min = 0) => new(y, m, d, h, min, 0, TimeSpan.Zero);

    /// <summary>Two years of one account's history (docs/metrics.md examples), sent one signal per batch, newest first.</summary>
    private async Task ImportNewestFirstAsync(string acc)
    {
        var history = new[]
        {
            Revenue(acc, 100, at: T(2022, 1, 10)),
            Revenue(acc, 150, at: T(2022, 6, 1)),   // expansion 50
            Revenue(acc, 120, at: T(2023, 2, 1)),   // contraction 30
            Revenue(acc, 0, at: T(2023, 3, 15)),    // churn 120
            Revenue(acc, 90, at: T(2023, 5, 1)),    // reactivation 90
            Survey(acc, "nps", 3, at: T(2022, 3, 1), respondentId: "r1"),
            Survey(acc, "nps", 8, at: T(2022, 5, 1), respondentId: "r2"),
            Survey(acc, "nps", 10, at: T(2023, 2, 10), respondentId: "r1"),
            Ticket(acc, at: T(2023, 2, 2, 10), ticketId: "T1", status: "opened", tags: ["billing"]),
            Ticket(acc, at: T(2023, 2, 2, 10, 45), ticketId: "T1", status: "first_response"),
            Touchpoint(acc, "qbr", at: T(2023, 1, 20)),
        };
        var solved = Ticket(acc, at: T(2023, 2, 3), ticketId: "T1", status: "solved");
        solved["agentReplies"] = 1;
        foreach (var signal in history.Append(solved).OrderByDescending(s => s["timestamp"]!.GetValue<string>(), StringComparer.Ordinal))
        {
            Assert.Equal((1, 0), await server.Ingest.IngestAsync(Batch(signal)));
        }
    }

    private async Task<JsonObject> GetJsonAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {body?.ToJsonString()}");
        return body!.AsObject();
    }

    private static double? Num(JsonNode? n) => n?.GetValue<double>();

    [Fact]
    public async Task Account_figures_for_past_periods_come_out_as_if_history_had_arrived_in_order()
    {
        string acc = NewAccountId();
        await ImportNewestFirstAsync(acc);

        var q1 = await GetJsonAsync(server.Read, $"/api/v1/accounts/{acc}/metrics?from=2023-01-01&to=2023-03-31");
        Assert.Equal((acc, "2023-01-01", "2023-03-31", 90), (q1["accountId"]!.GetValue<string>(), q1["from"]!.GetValue<string>(), q1["to"]!.GetValue<string>(), q1["days"]!.GetValue<int>()));
        var revenue = q1["revenue"]!;
        // start 150 (after the 2022 expansion), end 0; contraction 30, churn 120
        Assert.Equal((150.0, 0.0, 30.0, 120.0), (Num(revenue["mrrStart"]), Num(revenue["mrrEnd"]), Num(revenue["contractionMrr"]), Num(revenue["churnedMrr"])));
        // gross = (120 + 30) / 150 = 1; NRR = (150 + 0 − 30 − 120) / 150 = 0; GRR = 0; 1 of 1 paying churned
        Assert.Equal((1.0, 0.0, 0.0, 1.0), (Num(revenue["grossMrrChurn"]), Num(revenue["nrr"]), Num(revenue["grr"]), Num(revenue["logoChurn"])));
        Assert.Null(revenue["clv"]); // nobody pays at the end
        // r1's latest answer in Q1 is the 10 of 10 February; r2 answered in 2022 → 1 promoter, NPS 100
        Assert.Equal((100.0, 1), (Num(q1["sentiment"]!["nps"]), q1["sentiment"]!["npsResponses"]!.GetValue<int>()));
        Assert.Equal((1, 45.0, 1.0), (q1["support"]!["ticketsOpened"]!.GetValue<int>(), Num(q1["support"]!["firstResponseMedianMinutes"]), Num(q1["support"]!["fcrRate"])));
        // last touchpoint 20 January, period ends 31 March: 11 + 28 + 31 = 70 days
        Assert.Equal(70.0, Num(q1["touchpoints"]!["daysSinceLastTouchpoint"]));
        Assert.Equal("lagging", q1["indicators"]!["nrr"]!.GetValue<string>());
        Assert.Equal("leading", q1["indicators"]!["nps"]!.GetValue<string>());

        var y2022 = await GetJsonAsync(server.Read, $"/api/v1/accounts/{acc}/metrics?from=2022-01-01&to=2022-12-31");
        // 2022: r1's 3 (superseded only in 2023) is a detractor, r2's 8 a passive → (0 − 1) / 2 × 100 = −50
        Assert.Equal(-50.0, Num(y2022["sentiment"]!["nps"]));
        // the account started paying in 2022: new 100, expansion 50, MRR at start 0 → NRR undefined
        Assert.Equal((0.0, 150.0, 100.0, 50.0), (Num(y2022["revenue"]!["mrrStart"]), Num(y2022["revenue"]!["mrrEnd"]), Num(y2022["revenue"]!["newMrr"]), Num(y2022["revenue"]!["expansionMrr"])));
        Assert.Null(y2022["revenue"]!["nrr"]);

        var q2 = await GetJsonAsync(server.Read, $"/api/v1/accounts/{acc}/metrics?from=2023-04-01&to=2023-06-30");
        Assert.Equal(90.0, Num(q2["revenue"]!["reactivationMrr"]));
    }

    [Fact]
    public async Task Portfolio_filters_by_segment_and_owner_and_owner_keys_see_only_their_accounts()
    {
        string segment = "seg-" + Guid.NewGuid().ToString("N"), ana = "ana-" + Guid.NewGuid().ToString("N"), bo = "bo-" + Guid.NewGuid().ToString("N");
        string x = NewAccountId(), y = NewAccountId(), other = NewAccountId();
        await server.Admin.RegisterAsync(x, owner: ana, segment: segment, seats: 10);
        await ImportNewestFirstAsync(x);
        await server.Ingest.IngestAsync(Batch(Revenue(y, 200, at: T(2022, 1, 10))));
        await server.Admin.RegisterAsync(y, owner: bo, segment: segment);
        // another segment's account: never in this portfolio
        await server.Ingest.IngestAsync(Batch(Revenue(other, 1000, at: T(2022, 1, 10))));
        await server.Admin.RegisterAsync(other, owner: ana, segment: segment + "-other");

        var both = await GetJsonAsync(server.Read, $"/api/v1/metrics?from=2023-01-01&to=2023-03-31&segment={segment}");
        Assert.Equal(2, both["accounts"]!.GetValue<int>());
        var revenue = both["revenue"]!;
        // start 150 + 200 = 350; x loses 30 + 120; 1 of 2 paying accounts churned
        Assert.Equal((350.0, 200.0), (Num(revenue["mrrStart"]), Num(revenue["mrrEnd"])));
        Assert.Equal(150.0 / 350, Num(revenue["grossMrrChurn"])!.Value, 12);
        Assert.Equal((2, 1, 0.5), (revenue["payingAccountsStart"]!.GetValue<int>(), revenue["churnedAccounts"]!.GetValue<int>(), Num(revenue["logoChurn"])));
        Assert.Equal(segment, both["sentiment"]!["bySegment"]![0]!["segment"]!.GetValue<string>());

        var anaOnly = await GetJsonAsync(server.Read, $"/api/v1/metrics?from=2023-01-01&to=2023-03-31&segment={segment}&owner={ana}");
        Assert.Equal((1, 150.0), (anaOnly["accounts"]!.GetValue<int>(), Num(anaOnly["revenue"]!["mrrStart"])));

        var created = await (await server.Admin.PostAsJsonAsync("/api/v1/keys", new { name = "bo's reports", scopes = new[] { "read" }, owner = bo })).Content.ReadFromJsonAsync<JsonObject>();
        var boKey = server.Factory.ClientWithKey(created!["key"]!.GetValue<string>());
        var boView = await GetJsonAsync(boKey, $"/api/v1/metrics?from=2023-01-01&to=2023-03-31&segment={segment}");
        Assert.Equal((1, 200.0), (boView["accounts"]!.GetValue<int>(), Num(boView["revenue"]!["mrrStart"])));
        // asking for another owner's accounts gives the empty portfolio, and their account is not found
        var foreign = await GetJsonAsync(boKey, $"/api/v1/metrics?from=2023-01-01&to=2023-03-31&owner={ana}");
        Assert.Equal((0, 0.0), (foreign["accounts"]!.GetValue<int>(), Num(foreign["revenue"]!["mrrStart"])));
        using var hidden = await boKey.GetAsync($"/api/v1/accounts/{x}/metrics");
        await HttpAssertions.AssertProblemAsync(hidden, 404);
    }

    [Fact]
    public async Task A_segment_change_moves_the_account_between_segments()
    {
        string from = "seg-" + Guid.NewGuid().ToString("N"), to = "seg-" + Guid.NewGuid().ToString("N");
        string acc = NewAccountId();
        await server.Admin.RegisterAsync(acc, segment: from);
        await server.Ingest.IngestAsync(Batch(Revenue(acc, 400, at: T(2024, 1, 1))));
        Assert.Equal(400.0, Num((await GetJsonAsync(server.Read, $"/api/v1/metrics?from=2024-01-01&to=2024-01-31&segment={from}"))["revenue"]!["mrrEnd"]));
        await server.Admin.RegisterAsync(acc, segment: to);
        var left = await GetJsonAsync(server.Read, $"/api/v1/metrics?from=2024-01-01&to=2024-01-31&segment={from}");
        var arrived = await GetJsonAsync(server.Read, $"/api/v1/metrics?from=2024-01-01&to=2024-01-31&segment={to}");
        Assert.Equal((0, 0.0), (left["accounts"]!.GetValue<int>(), Num(left["revenue"]!["mrrEnd"])));
        Assert.Equal((1, 400.0), (arrived["accounts"]!.GetValue<int>(), Num(arrived["revenue"]!["mrrEnd"])));
    }

    [Fact]
    public async Task The_period_defaults_to_the_last_30_days_and_undefined_rates_are_null()
    {
        string acc = NewAccountId();
        await server.Ingest.IngestAsync(Batch(Usage(acc)));
        var body = await GetJsonAsync(server.Read, $"/api/v1/accounts/{acc}/metrics");
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        Assert.Equal(today.ToString("yyyy-MM-dd"), body["to"]!.GetValue<string>());
        Assert.Equal(today.AddDays(-30).ToString("yyyy-MM-dd"), body["from"]!.GetValue<string>());
        Assert.Equal(31, body["days"]!.GetValue<int>());
        Assert.Null(body["sentiment"]!["nps"]);
        Assert.Null(body["revenue"]!["nrr"]);
        Assert.Equal(1, body["engagement"]!["activeUsers"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("/api/v1/metrics?from=2024-02-01&to=2024-01-01", "Invalid from")]
    [InlineData("/api/v1/metrics?from=yesterday", "Invalid from")]
    [InlineData("/api/v1/metrics?to=2024-13-01", "Invalid to")]
    [InlineData("/api/v1/metrics?from=1990-01-01&to=2024-01-01", "Invalid from")]
    [InlineData("/api/v1/metrics?format=xml", "Invalid format")]
    [InlineData("/api/v1/accounts/some-account/metrics?to=01/02/2024", "Invalid to")]
    public async Task Bad_parameters_are_400_problems_naming_the_parameter(string url, string title)
    {
        using var response = await server.Read.GetAsync(url);
        var problem = await HttpAssertions.AssertProblemAsync(response, 400);
        Assert.Equal(title, problem["title"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unknown_accounts_are_404_and_reading_needs_a_read_key()
    {
        using var missing = await server.Read.GetAsync($"/api/v1/accounts/{NewAccountId()}/metrics");
        await HttpAssertions.AssertProblemAsync(missing, 404);
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Anonymous.GetAsync("/api/v1/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await server.Ingest.GetAsync("/api/v1/metrics")).StatusCode);
    }

    [Fact]
    public async Task Csv_has_one_header_row_one_data_row_and_the_lists_as_sections()
    {
        string acc = NewAccountId();
        await ImportNewestFirstAsync(acc);
        using var response = await server.Read.GetAsync($"/api/v1/accounts/{acc}/metrics?from=2023-01-01&to=2023-03-31&format=csv");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        string csv = await response.Content.ReadAsStringAsync();
        var blocks = csv.Split("\n\n");
        var main = blocks[0].Split('\n');
        Assert.Equal(2, main.Length);
        var header = main[0].Split(',');
        var row = main[1].Split(',');
        Assert.Equal(header.Length, row.Length);
        string Cell(string column) => row[Array.IndexOf(header, column)];
        Assert.Equal(acc, Cell("accountId"));
        Assert.Equal("150", Cell("revenue.mrrStart"));
        Assert.Equal("0", Cell("revenue.nrr"));
        Assert.Equal("100", Cell("sentiment.nps"));
        Assert.Equal("", Cell("sentiment.ces"));          // null: no CES answer
        Assert.Equal("", Cell("revenue.clv"));
        Assert.Contains("sentiment.byTenure.new.nps", header);
        Assert.Equal("45", Cell("support.firstResponseMedianMinutes"));

        var tags = blocks.Single(b => b.StartsWith("# support.topTags", StringComparison.Ordinal)).Split('\n');
        Assert.Equal(["# support.topTags", "tag,count,share", "billing,1,1"], tags.Where(l => l.Length > 0));
        Assert.True(blocks.Any(b => b.StartsWith("# indicators", StringComparison.Ordinal)), csv);
        var indicators = blocks.Single(b => b.StartsWith("# indicators", StringComparison.Ordinal)).Split('\n');
        Assert.Contains("nrr,lagging", indicators);

        // the portfolio speaks CSV too
        using var portfolio = await server.Read.GetAsync("/api/v1/metrics?from=2023-01-01&to=2023-03-31&format=csv&segment=no-such-segment");
        string[] lines = (await portfolio.Content.ReadAsStringAsync()).Split("\n\n")[0].Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("accountId,from,to,days,segment,owner,accounts,", lines[0]);
        Assert.StartsWith(",2023-01-01,2023-03-31,90,no-such-segment,,0,", lines[1]);
    }
}
