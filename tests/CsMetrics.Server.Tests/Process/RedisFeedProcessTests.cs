using System.Text.Json.Nodes;
using CsMetrics.Server.Tests.Support;
using StackExchange.Redis;
using Xunit.Abstractions;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Process;

/// <summary>
/// The Redis Streams feed configured the documented way (CSMETRICS_REDIS_STREAM, _GROUP,
/// _CLAIM_IDLE) in two real server processes: each node is its own consumer in the group and
/// every entry is applied by exactly one of them. The connection is given as
/// <c>CsMetrics__RedisFeed__Connection</c>, not CSMETRICS_REDIS, so the nodes stay embedded
/// whatever cluster mode does with that variable.
/// </summary>
public sealed class RedisFeedProcessTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _dataA = new("csmetrics-redis-a"), _dataB = new("csmetrics-redis-b");

    [Fact]
    public async Task Two_nodes_consume_one_stream_as_two_consumers_of_the_group_and_apply_each_entry_once()
    {
        await using var redis = await RedisServerProcess.StartAsync();
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConfigurationString);
        var db = connection.GetDatabase();
        const string stream = "csmetrics:signals:process", group = "health-engine";
        var environment = new Dictionary<string, string>
        {
            ["CSMETRICS_REDIS_STREAM"] = stream,
            ["CSMETRICS_REDIS_GROUP"] = group,
            ["CSMETRICS_REDIS_CLAIM_IDLE"] = "00:00:02",
            ["CsMetrics__RedisFeed__Connection"] = redis.ConfigurationString,
        };
        var servers = new ServerGroup(output);
        await servers.RunAsync(async () =>
        {
            var a = await servers.StartAsync("node a", _dataA.Path, environment);
            var b = await servers.StartAsync("node b", _dataB.Path, environment);
            // Ready is not yet reading: each feed connects to Redis after readiness (on a busy
            // machine that took 2 s, and node a took every entry alone).
            await a.AssertOutputContainsAsync("Redis stream feed: consuming");
            await b.AssertOutputContainsAsync("Redis stream feed: consuming");

            // 40 entries of 5 usage signals for 4 accounts, added while both nodes read.
            var accounts = Enumerable.Range(0, 4).Select(_ => NewAccountId("proc")).ToArray();
            RedisValue last = default;
            for (int e = 0; e < 40; e++)
            {
                var signals = Enumerable.Range(0, 5).Select(_ => Usage(accounts[e % 4])).ToArray();
                last = await db.StreamAddAsync(stream, [new NameValueEntry("signals", Batch(signals).ToJsonString())]);
                await Task.Delay(25);
            }

            var deadline = DateTime.UtcNow.AddSeconds(60);
            StreamGroupInfo info;
            while (true)
            {
                info = (await db.StreamGroupInfoAsync(stream)).Single();
                if ((info.LastDeliveredId == last && info.PendingMessageCount == 0) || DateTime.UtcNow > deadline)
                {
                    break;
                }
                await Task.Delay(50);
            }
            Assert.Equal((group, last.ToString(), 0), (info.Name, info.LastDeliveredId, info.PendingMessageCount));

            // Each node is a consumer of its own name; together they took every entry.
            var consumers = await db.StreamConsumerInfoAsync(stream, group);
            Assert.Equal(2, consumers.Length);
            Assert.Equal(2, consumers.Select(c => c.Name.ToString()).Distinct().Count());

            // Every signal applied exactly once: on one node or the other, 50 per account in all.
            using var readA = a.Client(Keys.Read);
            using var readB = b.Client(Keys.Read);
            long onA = 0, onB = 0;
            foreach (string account in accounts)
            {
                long usageA = await UsageAsync(readA, account), usageB = await UsageAsync(readB, account);
                Assert.Equal(50, usageA + usageB);
                onA += usageA;
                onB += usageB;
            }
            output.WriteLine($"node a applied {onA} signals, node b {onB}");
            Assert.Equal(200, onA + onB);
        });
    }

    private static async Task<long> UsageAsync(HttpClient client, string accountId) =>
        (await client.GetAccountAsync(accountId))?["signalCounts"]?["usage"]?.GetValue<long>() ?? 0;

    public void Dispose()
    {
        _dataA.Dispose();
        _dataB.Dispose();
    }
}
