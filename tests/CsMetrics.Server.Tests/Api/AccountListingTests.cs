using System.Net;
using System.Text.Json.Nodes;
using CsMetrics.Contracts.Index;
using CsMetrics.Server.Tests.Support;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Api;

/// <summary>
/// A server of its own holding exactly 42 accounts spread over all 16 index shards: 40 scored
/// 0, 2.5, …, 97.5 (by their MRR change over 90 days) and 2 registered but without signals.
/// </summary>
public sealed class ListingServerFixture : ServerFixture
{
    public const int Scored = 40;
    public static readonly string[] Owners = ["olivia", "oscar"];
    public static readonly string[] Segments = ["smb", "mid-market", "enterprise"];

    /// <summary>The scored accounts; index i has score 2.5·i.</summary>
    public List<Seeded> Accounts { get; } = [];

    public List<string> Unscored { get; } = [];

    public sealed record Seeded(string Id, double Score, string Band, string Owner, string Segment);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();

        // Pick ids so that every shard holds at least two accounts.
        var ids = new List<string>();
        var perShard = new int[AccountIndex.ShardCount];
        while (ids.Count < Scored)
        {
            string id = NewAccountId("list");
            int shard = AccountIndex.ShardOf(id);
            if (perShard[shard] < 2 || perShard.All(n => n >= 2))
            {
                perShard[shard]++;
                ids.Add(id);
            }
        }
        // Shuffle so that score order is unrelated to shard and id order.
        ids = [.. ids.OrderBy(_ => Random.Shared.Next())];

        var now = DateTimeOffset.UtcNow;
        var signals = new List<JsonObject>();
        for (int i = 0; i < Scored; i++)
        {
            // MRR 100 → 70+i: a change of (i-30) % maps linearly from -30 % (0) to +10 % (100): 2.5·i.
            signals.Add(Revenue(ids[i], 100, at: now.AddDays(-100)));
            signals.Add(Revenue(ids[i], 70 + i, at: now.AddDays(-1)));
            double score = 2.5 * i;
            string band = score < 40 ? "red" : score < 70 ? "yellow" : "green";
            Accounts.Add(new Seeded(ids[i], score, band, Owners[i % Owners.Length], Segments[i % Segments.Length]));
        }
        var (accepted, duplicates) = await Ingest.IngestAsync(Batch(signals));
        Assert.Equal((2 * Scored, 0), (accepted, duplicates));

        // Registered after their signals: the listing must pick up owner and segment.
        await Parallel.ForEachAsync(Accounts, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (a, _) =>
            await Admin.RegisterAsync(a.Id, name: $"Account {a.Id[^6..]}", owner: a.Owner, segment: a.Segment, seats: 10));

        for (int i = 0; i < 2; i++)
        {
            string id = NewAccountId("unscored");
            await Admin.RegisterAsync(id, name: "No signals yet", owner: Owners[0], segment: Segments[0]);
            Unscored.Add(id);
        }
    }
}

public sealed class AccountListingTests(ListingServerFixture server) : IClassFixture<ListingServerFixture>
{
    private async Task<JsonObject> ListAsync(string query = "")
    {
        using var response = await server.Read.GetAsync("/api/v1/accounts" + query);
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected 200, got {(int)response.StatusCode}: {body?.ToJsonString()}");
        return body!.AsObject();
    }

    private static string[] Ids(JsonObject list) => list["accounts"]!.AsArray().Select(a => a!["accountId"]!.GetValue<string>()).ToArray();

    private static string[] Expected(IEnumerable<ListingServerFixture.Seeded> accounts) =>
        accounts.OrderBy(a => a.Score).Select(a => a.Id).ToArray();

    [Fact]
    public async Task Lists_every_account_worst_first_with_unscored_last()
    {
        var list = await ListAsync("?limit=1000");

        Assert.Equal(42, list["total"]!.GetValue<int>());
        Assert.Equal(0, list["offset"]!.GetValue<int>());
        Assert.Equal(1000, list["limit"]!.GetValue<int>());
        var ids = Ids(list);
        Assert.Equal(Expected(server.Accounts), ids[..40]);
        Assert.Equal(server.Unscored.Order(StringComparer.Ordinal), ids[40..]);

        var items = list["accounts"]!.AsArray();
        var scores = items.Take(40).Select(a => a!["score"]!.GetValue<double>()).ToArray();
        Assert.Equal(server.Accounts.Select(a => a.Score).Order(), scores);
        Assert.All(items.Skip(40), a => Assert.Null(a!["score"]));
    }

    [Fact]
    public async Task List_items_carry_the_registry_fields_and_the_band()
    {
        var list = await ListAsync("?limit=1000");
        foreach (var a in server.Accounts)
        {
            var item = list["accounts"]!.AsArray().Single(x => x!["accountId"]!.GetValue<string>() == a.Id)!;
            HttpAssertions.AssertHasProperties(item, "accountId", "name", "owner", "segment", "score", "band", "renewalDate", "updatedAt");
            Assert.Equal(a.Owner, item["owner"]!.GetValue<string>());
            Assert.Equal(a.Segment, item["segment"]!.GetValue<string>());
            Assert.Equal(a.Band, item["band"]!.GetValue<string>());
            Assert.Equal(a.Score, item["score"]!.GetValue<double>());
        }
    }

    [Fact]
    public async Task The_default_page_is_fifty()
    {
        var list = await ListAsync();
        Assert.Equal(50, list["limit"]!.GetValue<int>());
        Assert.Equal(42, Ids(list).Length);
    }

    [Theory]
    [InlineData("olivia")]
    [InlineData("oscar")]
    public async Task Filters_by_owner(string owner)
    {
        var list = await ListAsync($"?owner={owner}&limit=1000");
        var expected = Expected(server.Accounts.Where(a => a.Owner == owner)).ToList();
        if (owner == ListingServerFixture.Owners[0])
        {
            expected.AddRange(server.Unscored.Order(StringComparer.Ordinal));
        }
        Assert.Equal(expected, Ids(list));
        Assert.Equal(expected.Count, list["total"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("smb")]
    [InlineData("mid-market")]
    [InlineData("enterprise")]
    public async Task Filters_by_segment(string segment)
    {
        var list = await ListAsync($"?segment={segment}&limit=1000");
        var expected = Expected(server.Accounts.Where(a => a.Segment == segment)).ToList();
        if (segment == ListingServerFixture.Segments[0])
        {
            expected.AddRange(server.Unscored.Order(StringComparer.Ordinal));
        }
        Assert.Equal(expected, Ids(list));
        Assert.Equal(expected.Count, list["total"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("red", 16)]
    [InlineData("yellow", 12)]
    [InlineData("green", 12)]
    public async Task Filters_by_band(string band, int count)
    {
        var list = await ListAsync($"?band={band}&limit=1000");
        var expected = Expected(server.Accounts.Where(a => a.Band == band));
        Assert.Equal(count, expected.Length);
        Assert.Equal(expected, Ids(list));
        Assert.Equal(count, list["total"]!.GetValue<int>());
    }

    [Fact]
    public async Task Filters_combine()
    {
        var list = await ListAsync("?owner=oscar&segment=enterprise&band=green&limit=1000");
        var expected = Expected(server.Accounts.Where(a => a.Owner == "oscar" && a.Segment == "enterprise" && a.Band == "green"));
        Assert.NotEmpty(expected);
        Assert.Equal(expected, Ids(list));
        Assert.Equal(expected.Length, list["total"]!.GetValue<int>());

        var none = await ListAsync("?owner=nobody");
        Assert.Empty(Ids(none));
        Assert.Equal(0, none["total"]!.GetValue<int>());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(16)]
    public async Task Pages_concatenate_to_the_whole_list(int pageSize)
    {
        var all = Ids(await ListAsync("?limit=1000"));
        var paged = new List<string>();
        for (int offset = 0; offset < all.Length; offset += pageSize)
        {
            var page = await ListAsync($"?limit={pageSize}&offset={offset}");
            Assert.Equal(42, page["total"]!.GetValue<int>());
            Assert.Equal(offset, page["offset"]!.GetValue<int>());
            Assert.Equal(pageSize, page["limit"]!.GetValue<int>());
            var ids = Ids(page);
            Assert.Equal(Math.Min(pageSize, all.Length - offset), ids.Length);
            paged.AddRange(ids);
        }
        Assert.Equal(all, paged);

        var beyond = await ListAsync("?limit=10&offset=42");
        Assert.Empty(Ids(beyond));
        Assert.Equal(42, beyond["total"]!.GetValue<int>());
    }

    [Fact]
    public async Task Paging_works_with_filters()
    {
        var expected = Expected(server.Accounts.Where(a => a.Band == "red"));
        var first = Ids(await ListAsync("?band=red&limit=5&offset=0"));
        var second = Ids(await ListAsync("?band=red&limit=5&offset=5"));
        var last = Ids(await ListAsync("?band=red&limit=5&offset=15"));
        Assert.Equal(expected[..5], first);
        Assert.Equal(expected[5..10], second);
        Assert.Equal(expected[15..], last);
    }

    [Fact]
    public async Task A_score_change_moves_the_account_in_the_listing()
    {
        // Make the best account churn (MRR 0 → revenue 0), then take it back to where it was.
        var best = server.Accounts.MaxBy(a => a.Score)!;
        string churn = NewId("churn");
        await server.Ingest.IngestAsync(Batch(Revenue(best.Id, 0, id: churn, at: DateTimeOffset.UtcNow.AddMinutes(-30))));
        try
        {
            // It now ties with the worst account (score 0); ties are ordered by id.
            var worst = server.Accounts.MinBy(a => a.Score)!;
            var list = await ListAsync("?limit=2");
            Assert.Equal(new[] { best.Id, worst.Id }.Order(StringComparer.Ordinal), Ids(list));
            Assert.All(list["accounts"]!.AsArray(), a => Assert.Equal(0.0, a!["score"]!.GetValue<double>()));
            Assert.Equal("red", (await server.Read.GetAccountAsync(best.Id))!["health"]!["band"]!.GetValue<string>());
        }
        finally
        {
            // Restore: a later MRR of 109 (+9 %) is back to 97.5.
            await server.Ingest.IngestAsync(Batch(Revenue(best.Id, 109, at: DateTimeOffset.UtcNow.AddMinutes(-10))));
        }
        var restored = (await server.Read.GetAccountAsync(best.Id))!;
        Assert.Equal(best.Score, restored["health"]!["score"]!.GetValue<double>());
    }

    [Theory]
    [InlineData("?limit=0")]
    [InlineData("?limit=1001")]
    [InlineData("?offset=-1")]
    [InlineData("?band=purple")]
    [InlineData("?limit=abc")]
    public async Task Invalid_queries_are_a_400(string query)
    {
        using var response = await server.Read.GetAsync("/api/v1/accounts" + query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
