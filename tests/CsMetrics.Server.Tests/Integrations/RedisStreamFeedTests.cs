using System.Text.Json.Nodes;
using CsMetrics.Grains.Ingest;
using CsMetrics.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Integrations;

/// <summary>
/// The Redis Streams feed (docs/integrations.md#redis-streams-feed) against a real redis-server:
/// entries XADDed by a producer are applied exactly once and acknowledged, unreadable ones land
/// in <c>:rejected</c>, and a dead consumer's pending entries are claimed and applied.
/// </summary>
public sealed class RedisStreamFeedTests(RedisFeedServerFixture fixture) : IClassFixture<RedisFeedServerFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static NameValueEntry[] BatchEntry(params JsonObject[] signals) => [new("signals", Batch(signals).ToJsonString())];

    private Task<RedisValue> AddAsync(string stream, params NameValueEntry[] fields) => fixture.Db.StreamAddAsync(stream, fields);

    private static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for {what}");
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// The group's state once it has delivered <paramref name="lastId"/> and nothing is pending.
    /// The feed creates its group once the node is ready, which may be just after the test starts.
    /// </summary>
    private Task<StreamGroupInfo> DrainedAsync(string stream, RedisValue lastId) =>
        UntilAsync(
            async () => (await fixture.Db.StreamGroupInfoAsync(stream)).SingleOrDefault(g => g.Name == "csmetrics"),
            g => g.Name == "csmetrics" && g.LastDeliveredId == lastId && g.PendingMessageCount == 0,
            $"the group to acknowledge everything up to {lastId}");

    private Task<JsonObject> CountsAsync(HttpClient read, string accountId, long usage) =>
        UntilAsync(async () => (await read.GetAccountAsync(accountId))?["signalCounts"]?.AsObject() ?? [],
            c => c["usage"]?.GetValue<long>() == usage, $"{accountId} to count {usage} usage signals");

    [Fact]
    public async Task Batch_and_single_signal_entries_are_applied_exactly_once_and_acknowledged()
    {
        string acc = NewAccountId("redis");
        await AddAsync(fixture.Stream, BatchEntry(Usage(acc), Usage(acc), Usage(acc), Ticket(acc, ticketId: "T-1")));
        var last = await AddAsync(fixture.Stream, new NameValueEntry("signal", Usage(acc).ToJsonString()));

        var counts = await CountsAsync(fixture.Read, acc, 4);
        await DrainedAsync(fixture.Stream, last);
        await Task.Delay(500); // asserting an absence: no second application shows up
        counts = (await fixture.Read.GetAccountAsync(acc))!["signalCounts"]!.AsObject();
        Assert.Equal((4L, 1L, 0L), (counts["usage"]!.GetValue<long>(), counts["ticket"]!.GetValue<long>(), counts["survey"]!.GetValue<long>()));
    }

    [Fact]
    public async Task The_same_signal_ids_in_two_entries_are_applied_once()
    {
        string acc = NewAccountId("redis-dup");
        var signals = new[] { Usage(acc, id: NewId()), Usage(acc, id: NewId()) };
        await AddAsync(fixture.Stream, BatchEntry(signals));
        var second = await AddAsync(fixture.Stream, BatchEntry(signals));
        await DrainedAsync(fixture.Stream, second);

        var counts = await CountsAsync(fixture.Read, acc, 2);
        Assert.Equal(2, counts["usage"]!.GetValue<long>());
    }

    [Fact]
    public async Task Unreadable_entries_go_to_the_rejected_stream_with_their_error_and_are_acknowledged()
    {
        string acc = NewAccountId("redis-bad");
        var badType = Usage(acc);
        badType["type"] = "telepathy";
        var ids = new List<RedisValue>
        {
            await AddAsync(fixture.Stream, new NameValueEntry("signals", "not json")),
            await AddAsync(fixture.Stream, new NameValueEntry("signal", badType.ToJsonString())),
            await AddAsync(fixture.Stream, new NameValueEntry("payload", "{}")),
            await AddAsync(fixture.Stream, new NameValueEntry("signal", $"{Usage(acc).ToJsonString()},{Usage(acc).ToJsonString()}")),
        };
        // The feed goes on after them.
        var good = await AddAsync(fixture.Stream, BatchEntry(Usage(acc)));
        await DrainedAsync(fixture.Stream, good);
        var counts = await CountsAsync(fixture.Read, acc, 1);
        Assert.Equal(1, counts["usage"]!.GetValue<long>());

        var rejected = await UntilAsync(
            async () => (await fixture.Db.StreamRangeAsync(fixture.Stream + ":rejected")).Where(e => ids.Contains(e["source_id"])).ToArray(),
            r => r.Length == ids.Count, "four rejected entries");
        var errors = ids.Select(id => (string)rejected.Single(e => e["source_id"] == id)["error"]!).ToArray();
        Assert.StartsWith("$ malformed JSON: ", errors[0], StringComparison.Ordinal);
        Assert.StartsWith("signals[0].type ", errors[1], StringComparison.Ordinal);
        Assert.Equal("the entry needs a field 'signals' ({\"signals\":[…]}, as the HTTP ingest body) or 'signal' (one signal object)", errors[2]);
        Assert.StartsWith("signal is malformed JSON: ", errors[3], StringComparison.Ordinal);
        // The original fields travel along, so the entry can be fixed and re-added.
        Assert.Equal("not json", (string)rejected.Single(e => e["source_id"] == ids[0])["signals"]!);
        Assert.Equal("{}", (string)rejected.Single(e => e["source_id"] == ids[2])["payload"]!);
    }

    [Fact]
    public async Task A_dead_consumers_pending_entries_are_claimed_and_applied_after_the_idle_time()
    {
        string stream = $"test:dead:{Guid.NewGuid():N}";
        string acc = NewAccountId("redis-dead");
        var db = fixture.Db;
        await db.StreamCreateConsumerGroupAsync(stream, "csmetrics", StreamPosition.Beginning, createStream: true);
        await db.StreamAddAsync(stream, BatchEntry(Usage(acc), Usage(acc)));
        var last = await db.StreamAddAsync(stream, [new NameValueEntry("signal", Usage(acc).ToJsonString())]);
        // A consumer reads both entries and dies without acknowledging them.
        var taken = await db.StreamReadGroupAsync(stream, "csmetrics", "dead", StreamPosition.NewMessages, 10);
        Assert.Equal(2, taken.Length);

        await using var server = fixture.FeedServer(stream);
        var read = await Task.Run(() => server.ClientWithKey(Keys.Read));
        var counts = await CountsAsync(read, acc, 3);
        var group = await DrainedAsync(stream, last);
        Assert.Equal(0, group.PendingMessageCount);
        var consumers = await db.StreamConsumerInfoAsync(stream, "csmetrics");
        Assert.Equal(0, consumers.Single(c => c.Name == "dead").PendingMessageCount);
        Assert.Contains(consumers, c => c.Name != "dead");
        await Task.Delay(500); // asserting an absence: claimed once, applied once
        counts = (await read.GetAccountAsync(acc))!["signalCounts"]!.AsObject();
        Assert.Equal(3, counts["usage"]!.GetValue<long>());
    }

    [Fact]
    public async Task While_the_node_is_short_of_memory_the_feed_reads_nothing_and_then_applies_every_entry_once()
    {
        string stream = $"test:memory:{Guid.NewGuid():N}";
        string acc = NewAccountId("redis-memory");
        double usage = 97;
        await using var server = fixture.FeedServer(stream, services: s => s.AddSingleton(sp => new IngestAdmission(
            90, () => Volatile.Read(ref usage), sp.GetRequiredService<ILogger<IngestAdmission>>()) { LookEvery = TimeSpan.Zero }));
        var read = await Task.Run(() => server.ClientWithKey(Keys.Read));
        var first = await AddAsync(stream, BatchEntry(Usage(acc), Usage(acc)));
        var last = await AddAsync(stream, BatchEntry(Usage(acc)));

        // Refusing: nothing is read (no entry delivered, none pending, so none can run into the
        // delivery limit and be rejected), nothing applied. The group is created once the node is ready.
        await UntilAsync(async () => (await fixture.Db.StreamGroupInfoAsync(stream)).Length, n => n == 1, "the feed's group");
        await Task.Delay(1_500); // asserting an absence: more than a claim idle time of a refusing feed
        var group = (await fixture.Db.StreamGroupInfoAsync(stream)).Single();
        Assert.Equal((0L, "0-0"), ((long)group.PendingMessageCount, (string?)group.LastDeliveredId));
        Assert.Null(await read.GetAccountAsync(acc));

        Volatile.Write(ref usage, 70);
        await CountsAsync(read, acc, 3);
        await DrainedAsync(stream, last);
        Assert.Empty(await fixture.Db.StreamRangeAsync(stream + ":rejected"));
        Assert.NotEqual(first, last);
    }

    [Fact]
    public async Task An_entry_whose_ingest_keeps_failing_goes_to_rejected_after_the_delivery_limit_and_the_feed_goes_on()
    {
        string stream = $"test:poison:{Guid.NewGuid():N}";
        string poisoned = NewAccountId("redis-poison"), fine = NewAccountId("redis-fine");
        var settings = new Dictionary<string, string?> { ["CsMetrics:RedisFeed:MaxDeliveries"] = "3" };
        var attempts = new FailingIngestLog.Attempts();
        await using var server = fixture.FeedServer(stream, settings, services => FailingIngestLog.Install(services, poisoned, attempts));
        var read = await Task.Run(() => server.ClientWithKey(Keys.Read));

        var poison = await AddAsync(stream, BatchEntry(Usage(poisoned)));
        var last = await AddAsync(stream, BatchEntry(Usage(fine)));
        await CountsAsync(read, fine, 1);
        await DrainedAsync(stream, last);

        var rejected = (await fixture.Db.StreamRangeAsync(stream + ":rejected")).Single();
        Assert.Equal(poison, rejected["source_id"]);
        Assert.Equal($"not ingested after 3 deliveries; last error: {FailingIngestLog.Message}", (string)rejected["error"]!);
        Assert.Equal(BatchEntry(Usage(poisoned))[0].Name, rejected.Values.Last().Name);
        // Tried exactly the limit: the first read and two claims; the third claim rejects it.
        Assert.Equal(3, attempts.Count);
    }

    [Fact]
    public async Task Consumers_of_nodes_that_are_gone_are_removed_and_a_stopping_node_removes_its_own()
    {
        string stream = $"test:consumers:{Guid.NewGuid():N}";
        var db = fixture.Db;
        await db.StreamCreateConsumerGroupAsync(stream, "csmetrics", StreamPosition.Beginning, createStream: true);
        // A node that read nothing and died, long ago (as far as the 1 s expiry goes).
        await db.ExecuteAsync("XGROUP", "CREATECONSUMER", stream, "csmetrics", "ghost");
        Assert.Contains(await db.StreamConsumerInfoAsync(stream, "csmetrics"), c => c.Name == "ghost");

        var settings = new Dictionary<string, string?>
        {
            ["CsMetrics:RedisFeed:ConsumerExpiry"] = "00:00:01",
            ["CsMetrics:RedisFeed:Consumer"] = "this-node",
        };
        var server = fixture.FeedServer(stream, settings);
        await using (server)
        {
            using var read = await Task.Run(() => server.ClientWithKey(Keys.Read));
            // A consumer joins with its first read of an entry (Redis 7.0 does not add it on an empty read).
            string acc = NewAccountId("redis-consumers");
            await DrainedAsync(stream, await AddAsync(stream, BatchEntry(Usage(acc))));
            await UntilAsync(() => db.StreamConsumerInfoAsync(stream, "csmetrics"),
                cs => cs.Any(c => c.Name == "this-node") && cs.All(c => c.Name != "ghost"), "the ghost consumer to go and this node's to join");
        }
        // A clean stop: nothing was pending with it, so it left the group.
        Assert.Empty(await db.StreamConsumerInfoAsync(stream, "csmetrics"));
    }
}
