using System.Text.Json.Nodes;
using CsMetrics.Server.Tests.Support;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Api;

/// <summary>POST /api/v1/signals: the happy paths of the v1 ingest contract.</summary>
[Collection(ApiServerCollection.Name)]
public sealed class SignalIngestTests(ApiServerFixture server)
{
    [Fact]
    public async Task All_four_types_with_their_fields_are_accepted_and_counted_per_type()
    {
        string acc = NewAccountId();
        var batch = Batch(
            Usage(acc, userId: "ann", feature: "reports.export"),
            Usage(acc, userId: "bob", feature: "dashboards.create", count: 5),
            Usage(acc, userId: null, feature: null),
            Ticket(acc, ticketId: "T-9", status: "opened", priority: "urgent", tags: ["billing", "sso"]),
            Survey(acc, "nps", 4, respondentId: "ann", comment: "too slow\nreally"),
            Survey(acc, "csat", 5),
            Survey(acc, "ces", 7),
            Revenue(acc, 1200.50m, at: DateTimeOffset.UtcNow.AddDays(-20)));

        var (accepted, duplicates) = await server.Ingest.IngestAsync(batch);

        Assert.Equal(8, accepted);
        Assert.Equal(0, duplicates);
        var account = await server.Read.GetAccountAsync(acc);
        Assert.NotNull(account);
        Assert.Equal((3L, 1L, 3L, 1L), account.Counts());
        Assert.Equal(acc, account["accountId"]!.GetValue<string>());
        Assert.NotNull(account["health"]!["score"]);
    }

    [Fact]
    public async Task Ticket_lifecycle_and_date_only_timestamps_are_accepted()
    {
        string acc = NewAccountId();
        var opened = DateTimeOffset.UtcNow.AddDays(-3);
        var batch = Batch(
            Ticket(acc, ticketId: "T-1", status: "opened", priority: "low", at: opened),
            Ticket(acc, ticketId: "T-1", status: "first_response", priority: null, at: opened.AddHours(2)),
            Ticket(acc, ticketId: "T-1", status: "solved", at: opened.AddHours(5)),
            Ticket(acc, ticketId: "T-1", status: "reopened", at: opened.AddHours(7)),
            Ticket(acc, ticketId: "T-1", status: "closed", priority: "high", at: opened.AddHours(9)));
        var dateOnly = Usage(acc);
        dateOnly["timestamp"] = DateTimeOffset.UtcNow.AddDays(-2).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        batch["signals"]!.AsArray().Add(dateOnly);
        var withOffset = Usage(acc);
        withOffset["timestamp"] = DateTimeOffset.UtcNow.AddHours(-3).ToOffset(TimeSpan.FromHours(2)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture);
        batch["signals"]!.AsArray().Add(withOffset);

        var (accepted, duplicates) = await server.Ingest.IngestAsync(batch);

        Assert.Equal((7, 0), (accepted, duplicates));
        var account = await server.Read.GetAccountAsync(acc);
        Assert.Equal((2L, 5L, 0L, 0L), account!.Counts());
    }

    [Fact]
    public async Task A_timestamp_just_under_a_day_ahead_is_accepted()
    {
        string acc = NewAccountId();
        var (accepted, _) = await server.Ingest.IngestAsync(Batch(Usage(acc, at: DateTimeOffset.UtcNow.AddHours(23))));
        Assert.Equal(1, accepted);
    }

    [Fact]
    public async Task A_resent_batch_counts_once_and_reports_duplicates()
    {
        string acc = NewAccountId();
        var batch = Batch(Usage(acc), Ticket(acc), Survey(acc, "nps", 9, respondentId: "r1"), Revenue(acc, 100));

        Assert.Equal((4, 0), await server.Ingest.IngestAsync(batch));
        var before = await server.Read.GetAccountAsync(acc);

        Assert.Equal((0, 4), await server.Ingest.IngestAsync(batch));
        var after = await server.Read.GetAccountAsync(acc);

        Assert.Equal((1L, 1L, 1L, 1L), after!.Counts());
        Assert.NotNull(before);
        Assert.NotNull(after);
        Assert.True(JsonNode.DeepEquals(before["signalCounts"], after["signalCounts"]));
        Assert.True(JsonNode.DeepEquals(before["health"], after["health"]), "a duplicate changes nothing, not even the explanation");
    }

    [Fact]
    public async Task A_resent_id_is_counted_once_among_new_ones_and_within_one_batch()
    {
        string acc = NewAccountId();
        string id = NewId();
        Assert.Equal((1, 0), await server.Ingest.IngestAsync(Batch(Usage(acc, id: id))));

        // One re-sent id and one new one.
        Assert.Equal((1, 1), await server.Ingest.IngestAsync(Batch(Usage(acc, id: id), Usage(acc))));

        // The same new id twice in one batch.
        string twice = NewId();
        Assert.Equal((1, 1), await server.Ingest.IngestAsync(Batch(Usage(acc, id: twice), Usage(acc, id: twice))));

        var account = await server.Read.GetAccountAsync(acc);
        Assert.Equal((3L, 0L, 0L, 0L), account!.Counts());
    }

    [Fact]
    public async Task Ids_are_per_account_the_same_id_on_two_accounts_is_two_signals()
    {
        string a = NewAccountId(), b = NewAccountId();
        string id = NewId();
        Assert.Equal((2, 0), await server.Ingest.IngestAsync(Batch(Usage(a, id: id), Usage(b, id: id))));
        Assert.Equal((1L, 0L, 0L, 0L), (await server.Read.GetAccountAsync(a))!.Counts());
        Assert.Equal((1L, 0L, 0L, 0L), (await server.Read.GetAccountAsync(b))!.Counts());
    }

    [Fact]
    public async Task One_batch_may_span_many_accounts()
    {
        var accounts = Enumerable.Range(0, 25).Select(_ => NewAccountId()).ToArray();
        var signals = accounts.SelectMany((a, i) => Enumerable.Range(0, i % 3 + 1).Select(_ => Usage(a))).ToArray();

        Assert.Equal((signals.Length, 0), await server.Ingest.IngestAsync(Batch(signals)));

        for (int i = 0; i < accounts.Length; i++)
        {
            var account = await server.Read.GetAccountAsync(accounts[i]);
            Assert.Equal(i % 3 + 1, account!.Counts().Usage);
        }
    }

    [Fact]
    public async Task Signals_for_an_unregistered_account_create_it_and_registering_later_fills_metadata()
    {
        string acc = NewAccountId();
        await server.Read.AssertAccountMissingAsync(acc);

        await server.Ingest.IngestAsync(Batch(Usage(acc), Survey(acc, "csat", 4)));

        var created = await server.Read.GetAccountAsync(acc);
        Assert.NotNull(created);
        Assert.Null(created["name"]);
        Assert.Null(created["owner"]);
        Assert.Null(created["segment"]);
        Assert.Null(created["renewalDate"]);
        Assert.Equal(0, created["seats"]!.GetValue<int>());
        Assert.Equal((1L, 0L, 1L, 0L), created.Counts());

        var registered = await server.Admin.RegisterAsync(acc, name: "Acme Corp", owner: "carol", segment: "enterprise", seats: 50, renewalDate: "2027-03-31");
        Assert.Equal("Acme Corp", registered["name"]!.GetValue<string>());

        var account = await server.Read.GetAccountAsync(acc);
        Assert.Equal("Acme Corp", account!["name"]!.GetValue<string>());
        Assert.Equal("carol", account["owner"]!.GetValue<string>());
        Assert.Equal("enterprise", account["segment"]!.GetValue<string>());
        Assert.Equal(50, account["seats"]!.GetValue<int>());
        Assert.Equal("2027-03-31", account["renewalDate"]!.GetValue<string>());
        Assert.Equal((1L, 0L, 1L, 0L), account.Counts());
    }

    [Fact]
    public async Task An_admin_key_may_ingest_and_a_key_with_ingest_and_read_may_do_both()
    {
        string acc = NewAccountId();
        Assert.Equal((1, 0), await server.Admin.IngestAsync(Batch(Usage(acc))));

        using var both = server.Factory.ClientWithKey(Keys.IngestAndRead);
        Assert.Equal((1, 0), await both.IngestAsync(Batch(Usage(acc))));
        Assert.Equal(2, (await both.GetAccountAsync(acc))!.Counts().Usage);
    }
}
