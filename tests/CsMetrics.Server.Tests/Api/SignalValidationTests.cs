using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CsMetrics.Server.Tests.Support;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Api;

/// <summary>
/// POST /api/v1/signals with bad input: an RFC 7807 problem naming the signal index and field,
/// and nothing applied (the whole batch is rejected).
/// </summary>
[Collection(ApiServerCollection.Name)]
public sealed class SignalValidationTests(ApiServerFixture server)
{
    /// <summary>Posts, asserts the problem, and returns its first error.</summary>
    private async Task<(JsonObject Problem, JsonObject FirstError)> RejectedAsync(HttpResponseMessage response, int status = 400)
    {
        using (response)
        {
            var problem = await HttpAssertions.AssertProblemAsync(response, status);
            var errors = Assert.IsType<JsonArray>(problem["errors"]);
            Assert.NotEmpty(errors);
            Assert.Contains("nothing was applied", problem["detail"]!.GetValue<string>());
            return (problem, errors[0]!.AsObject());
        }
    }

    private static void AssertNames(JsonObject problem, JsonObject error, int? index, string field)
    {
        Assert.Equal(field, error["field"]!.GetValue<string>());
        if (index is { } i)
        {
            Assert.Equal(i, error["index"]!.GetValue<int>());
            Assert.StartsWith($"signals[{i}].{field} ", problem["detail"]!.GetValue<string>());
        }
        else
        {
            Assert.Null(error["index"]);
        }
        Assert.False(string.IsNullOrEmpty(error["message"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Malformed_json_is_a_400_problem()
    {
        string acc = NewAccountId();
        string body = "{\"signals\":[{\"id\":\"x\",\"accountId\":\"" + acc + "\",\"type\":\"usage\",";
        var (problem, error) = await RejectedAsync(await server.Ingest.PostRawSignalsAsync(body));
        AssertNames(problem, error, null, "$");
        Assert.Equal("Invalid signal batch", problem["title"]!.GetValue<string>());
        await server.Read.AssertAccountMissingAsync(acc);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("{\"signals\":{}}")]
    [InlineData("{\"signals\":[]}")]
    [InlineData("\"signals\"")]
    public async Task A_body_that_is_not_a_nonempty_batch_is_a_400_problem(string body)
    {
        var (problem, error) = await RejectedAsync(await server.Ingest.PostRawSignalsAsync(body));
        AssertNames(problem, error, null, "signals");
    }

    [Fact]
    public async Task A_signal_that_is_not_an_object_is_named_by_index()
    {
        string acc = NewAccountId();
        var batch = Batch(Usage(acc));
        batch["signals"]!.AsArray().Add(42);
        var (problem, error) = await RejectedAsync(await server.Ingest.PostSignalsAsync(batch));
        AssertNames(problem, error, 1, "$");
        await server.Read.AssertAccountMissingAsync(acc);
    }

    [Fact]
    public async Task Unknown_type_is_a_400_naming_index_and_type()
    {
        string acc = NewAccountId();
        var bad = Usage(acc);
        bad["type"] = "pageview";
        var (problem, error) = await RejectedAsync(await server.Ingest.PostSignalsAsync(Batch(bad)));
        AssertNames(problem, error, 0, "type");
        Assert.Contains("pageview", error["message"]!.GetValue<string>());
        await server.Read.AssertAccountMissingAsync(acc);
    }

    [Theory]
    [InlineData("id")]
    [InlineData("accountId")]
    [InlineData("timestamp")]
    [InlineData("type")]
    public async Task A_missing_envelope_field_is_a_400_naming_it(string field)
    {
        string acc = NewAccountId();
        var bad = Usage(acc);
        bad.Remove(field);
        var (problem, error) = await RejectedAsync(await server.Ingest.PostSignalsAsync(Batch(Usage(acc), bad)));
        AssertNames(problem, error, 1, field);
        Assert.Contains("required", error["message"]!.GetValue<string>());
        await server.Read.AssertAccountMissingAsync(acc);
    }

    [Theory]
    [InlineData("id", "")]
    [InlineData("id", "   ")]
    [InlineData("accountId", "")]
    [InlineData("timestamp", "11/26/2026")]
    [InlineData("timestamp", "Thursday")]
    [InlineData("timestamp", "2026-13-45T99:00:00Z")]
    public async Task An_invalid_envelope_value_is_a_400_naming_it(string field, string value)
    {
        string acc = NewAccountId();
        var bad = Usage(acc);
        bad[field] = value;
        var (problem, error) = await RejectedAsync(await server.Ingest.PostSignalsAsync(Batch(bad)));
        AssertNames(problem, error, 0, field);
        await server.Read.AssertAccountMissingAsync(acc);
    }

    [Fact]
    public async Task An_overlong_id_or_a_non_string_id_is_a_400()
    {
        string acc = NewAccountId();
        var longId = Usage(acc, id: new string('x', 201));
        var numberId = Usage(acc);
        numberId["id"] = 12;
        var (problem, error) = await RejectedAsync(await server.Ingest.PostSignalsAsync(Batch(longId, numberId)));
        AssertNames(problem, error, 0, "id");
        var errors = problem["errors"]!.AsArray();
        Assert.Contains(errors, e => e!["index"]!.GetValue<int>() == 1 && e["field"]!.GetValue<string>() == "id");
        await server.Read.AssertAccountMissingAsync(acc);
    }

    [Theory]
    [InlineData("nps", 11)]
    [InlineData("nps", -1)]
    [InlineData("csat", 0)]
    [InlineData("csat", 6)]
    [InlineData("ces", 0)]
    [InlineData("ces", 8)]
    public async Task A_survey_score_out_of_its_kinds_range_is_a_400(string kind, int score)
    {
        string acc = NewAccountId();
        var (problem, error) = await RejectedAsync(await server.Ingest.PostSignalsAsync(Batch(Survey(acc, kind, score))));
        AssertNames(problem, error, 0, "score");
        Assert.Contains(kind, error["message"]!.GetValue<string>());
        await server.Read.AssertAccountMissingAsync(acc);
    }

    [Theory]
    [InlineData("nps", 0)]
    [InlineData("nps", 10)]
    [InlineData("csat", 1)]
    [InlineData("csat", 5)]
    [InlineData("ces", 1)]
    [InlineData("ces", 7)]
    public async Task Survey_scores_at_the_edges_of_the_range_are_accepted(string kind, int score)
    {
        string acc = NewAccountId();
        Assert.Equal((1, 0), await server.Ingest.IngestAsync(Batch(Survey(acc, kind, score))));
    }

    [Fact]
    public async Task A_survey_without_kind_or_with_a_fractional_score_is_a_400()
    {
        string acc = NewAccountId();
        var noKind = Survey(acc, "nps", 5);
        noKind.Remove("kind");
        var fractional = Survey(acc, "csat", 4);
        fractional["score"] = 4.5;
        var unknownKind = Survey(acc, "nps", 5);
        unknownKind["kind"] = "happiness";
        var (problem, error) = await RejectedAsync(await server.Ingest.PostSignalsAsync(Batch(noKind, fractional, unknownKind)));
        AssertNames(problem, error, 0, "kind");
        var errors = problem["errors"]!.AsArray().Select(e => (e!["index"]!.GetValue<int>(), e["field"]!.GetValue<string>())).ToArray();
        Assert.Contains((1, "score"), errors);
        Assert.Contains((2, "kind"), errors);
        await server.Read.AssertAccountMissingAsync(acc);
    }

    [Fact]
    public async Task Touchpoint_and_selfservice_signals_are_accepted_and_deduplicated()
    {
        string acc = NewAccountId();
        var touch = Touchpoint(acc, "qbr", note: "renewal\nnext steps");
        var help = SelfService(acc, "not_helpful");
        Assert.Equal((3, 0), await server.Ingest.IngestAsync(Batch(touch, help, Touchpoint(acc, "onboarding"))));
        // the same ids again: duplicates, nothing applied twice
        Assert.Equal((0, 2), await server.Ingest.IngestAsync(Batch(touch, help)));
        // counted once each, beside the other types, and in the total
        var counts = (await server.Read.GetAccountAsync(acc))!["signalCounts"]!;
        Assert.Equal((2, 1, 3), (counts["touchpoint"]!.GetValue<long>(), counts["selfservice"]!.GetValue<long>(), counts["total"]!.GetValue<long>()));
    }

    [Theory]
    [InlineData("touchpoint", "kind", null)]
    [InlineData("touchpoint", "kind", "lunch")]
    [InlineData("touchpoint", "by", null)]
    [InlineData("touchpoint", "by", "")]
    [InlineData("selfservice", "action", "liked")]
    [InlineData("selfservice", "action", null)]
    [InlineData("selfservice", "userId", null)]
    [InlineData("selfservice", "articleId", null)]
    public async Task Touchpoint_and_selfservice_field_problems_are_named(string type, string field, string? value)
    {
        string acc = NewAccountId();
        var bad = type == "touchpoint" ? Touchpoint(acc) : SelfService(acc);
        if (value is null)
        {
            bad.Remove(field);
        }
        else
        {
            bad[field] = value;
        }
        var (problem, error) = await RejectedAsync(await server.Ingest.PostSignalsAsync(Batch(bad)));
        AssertNames(problem, error, 0, field);
        await server.Read.AssertAccountMissingAsync(acc);
    }

    [Theory]
    [InlineData("ticketId", null)]
    [InlineData("status", null)]
    [InlineData("status", "pending")]
    [InlineData("priority", "critical")]
    public async Task Ticket_field_problems_are_named(string field, string? value)
    {
        string acc = NewAccountId();
        var bad = Ticket(acc);
        if (value is null)
        {
            bad.Remove(field);
        }
        else
        {
            bad[field] = value;
        }
        var (problem, error) = await RejectedAsync(await server.Ingest.PostSignalsAsync(Batch(bad)));
        AssertNames(problem, error, 0, field);
        await server.Read.AssertAccountMissingAsync(acc);
    }

    [Fact]
    public async Task Too_many_or_too_long_tags_are_a_400()
    {
        string acc = NewAccountId();
        var many = Ticket(acc, tags: Enumerable.Range(0, 21).Select(i => $"t{i}").ToArray());
        var longTag = Ticket(acc, tags: ["ok", new string('x', 65)]);
        var (problem, error) = await RejectedAsync(await server.Ingest.PostSignalsAsync(Batch(many, longTag)));
        AssertNames(problem, error, 0, "tags");
        Assert.Contains(problem["errors"]!.AsArray(), e => e!["index"]!.GetValue<int>() == 1 && e["field"]!.GetValue<string>() == "tags[1]");
        await server.Read.AssertAccountMissingAsync(acc);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(-1)]
    [InlineData(1_000_000_001)]
    public async Task Revenue_without_mrr_or_out_of_range_is_a_400(int? mrr)
    {
        string acc = NewAccountId();
        var bad = Revenue(acc, 0);
        if (mrr is null)
        {
            bad.Remove("mrr");
        }
        else
        {
            bad["mrr"] = mrr;
        }
        var (problem, error) = await RejectedAsync(await server.Ingest.PostSignalsAsync(Batch(bad)));
        AssertNames(problem, error, 0, "mrr");
        await server.Read.AssertAccountMissingAsync(acc);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1_000_001)]
    public async Task Usage_count_out_of_range_is_a_400(int count)
    {
        string acc = NewAccountId();
        var (problem, error) = await RejectedAsync(await server.Ingest.PostSignalsAsync(Batch(Usage(acc, count: count))));
        AssertNames(problem, error, 0, "count");
        await server.Read.AssertAccountMissingAsync(acc);
    }

    [Fact]
    public async Task A_timestamp_more_than_a_day_in_the_future_is_a_400()
    {
        string acc = NewAccountId();
        var future = Usage(acc, at: DateTimeOffset.UtcNow.AddDays(1).AddHours(1));
        var (problem, error) = await RejectedAsync(await server.Ingest.PostSignalsAsync(Batch(Usage(acc), future)));
        AssertNames(problem, error, 1, "timestamp");
        Assert.Contains("future", error["message"]!.GetValue<string>());
        await server.Read.AssertAccountMissingAsync(acc);
    }

    [Fact]
    public async Task One_bad_signal_among_good_ones_rejects_the_whole_batch_and_changes_nothing()
    {
        string existing = NewAccountId();
        string fresh = NewAccountId();
        Assert.Equal((1, 0), await server.Ingest.IngestAsync(Batch(Usage(existing))));
        var before = await server.Read.GetAccountAsync(existing);

        var batch = Batch(
            Usage(existing),
            Ticket(existing),
            Usage(fresh),
            Survey(existing, "nps", 11),
            Revenue(fresh, 500));
        var (problem, error) = await RejectedAsync(await server.Ingest.PostSignalsAsync(batch));
        AssertNames(problem, error, 3, "score");
        Assert.Single(problem["errors"]!.AsArray());

        var after = await server.Read.GetAccountAsync(existing);
        Assert.Equal((1L, 0L, 0L, 0L), after!.Counts());
        Assert.NotNull(before);
        Assert.NotNull(after);
        Assert.True(JsonNode.DeepEquals(before["health"], after["health"]));
        await server.Read.AssertAccountMissingAsync(fresh);

        // Fixed and re-sent, the batch lands whole.
        batch["signals"]![3]!["score"] = 10;
        Assert.Equal((5, 0), await server.Ingest.IngestAsync(batch));
        Assert.Equal((2L, 1L, 1L, 0L), (await server.Read.GetAccountAsync(existing))!.Counts());
        Assert.Equal((1L, 0L, 0L, 1L), (await server.Read.GetAccountAsync(fresh))!.Counts());
    }

    [Fact]
    public async Task Errors_list_every_bad_signal_up_to_fifty()
    {
        string acc = NewAccountId();
        var signals = Enumerable.Range(0, 80).Select(_ => Survey(acc, "csat", 9)).ToArray();
        var (problem, _) = await RejectedAsync(await server.Ingest.PostSignalsAsync(Batch(signals)));
        var errors = problem["errors"]!.AsArray();
        Assert.Equal(50, errors.Count);
        Assert.Equal(Enumerable.Range(0, 50), errors.Select(e => e!["index"]!.GetValue<int>()));
        await server.Read.AssertAccountMissingAsync(acc);
    }

    [Fact]
    public async Task More_signals_than_the_batch_limit_is_a_413_and_nothing_is_applied()
    {
        string acc = NewAccountId();
        var signals = Enumerable.Range(0, 5001).Select(_ => Usage(acc)).ToArray();
        var (problem, error) = await RejectedAsync(await server.Ingest.PostSignalsAsync(Batch(signals)), 413);
        AssertNames(problem, error, null, "signals");
        Assert.Equal("Batch too large", problem["title"]!.GetValue<string>());
        await server.Read.AssertAccountMissingAsync(acc);

        // Exactly at the limit is fine.
        Assert.Equal((5000, 0), await server.Ingest.IngestAsync(Batch(signals.Take(5000))));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_body_over_the_size_limit_is_a_413_and_nothing_is_applied(bool withContentLength)
    {
        string acc = NewAccountId();
        // A valid batch padded with a long comment: well over 8 MiB in total.
        var signals = Enumerable.Range(0, 2500).Select(_ => Survey(acc, "nps", 5, comment: new string('c', 3900))).ToArray();
        byte[] body = Encoding.UTF8.GetBytes(Batch(signals).ToJsonString());
        Assert.True(body.Length > 8 * 1024 * 1024);

        HttpContent content = withContentLength ? new ByteArrayContent(body) : new UnknownLengthContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await server.Ingest.PostAsync("/api/v1/signals", content);

        var problem = await HttpAssertions.AssertProblemAsync(response, 413);
        Assert.Equal("Request body too large", problem["title"]!.GetValue<string>());
        await server.Read.AssertAccountMissingAsync(acc);
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_a_415()
    {
        string acc = NewAccountId();
        using var response = await server.Ingest.PostRawSignalsAsync(Batch(Usage(acc)).ToJsonString(), "text/plain");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        await server.Read.AssertAccountMissingAsync(acc);
    }

    /// <summary>Sent chunked, so the server cannot trust (or use) a Content-Length.</summary>
    private sealed class UnknownLengthContent(byte[] bytes) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            for (int i = 0; i < bytes.Length; i += 64 * 1024)
            {
                await stream.WriteAsync(bytes.AsMemory(i, Math.Min(64 * 1024, bytes.Length - i)));
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
