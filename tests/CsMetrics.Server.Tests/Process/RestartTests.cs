using System.Net;
using System.Text.Json.Nodes;
using CsMetrics.Server.Tests.Support;
using Xunit.Abstractions;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Process;

/// <summary>
/// The durability contract (docs/durability.md) against the real server process: a graceful
/// restart keeps everything as it was, and after kill -9 every acknowledged signal is there
/// exactly once.
/// </summary>
public sealed class RestartTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _dataDir = new("csmetrics-restart");
    private ServerGroup? _group;

    private ServerGroup Group => _group ??= new ServerGroup(output);

    private Task<ServerProcess> StartAsync(string name, IDictionary<string, string>? environment = null) =>
        Group.StartAsync(name, _dataDir.Path, environment);

    /// <summary>Runs the test body; on failure the servers' output goes to the test output.</summary>
    private Task WithServerOutputOnFailure(Func<Task> body) => Group.RunAsync(body);

    [Fact]
    public Task After_a_graceful_stop_a_restart_reads_the_same_accounts() => WithServerOutputOnFailure(async () =>
    {
        string acme = NewAccountId("acme"), globex = NewAccountId("globex");
        var now = DateTimeOffset.UtcNow;
        var first = Batch(
            Usage(acme, userId: "ann", feature: "reports.export"),
            Usage(acme, userId: "bob", feature: "dashboards.create", count: 3),
            Ticket(acme, ticketId: "T-1", status: "opened", priority: "urgent", at: now.AddHours(-5)),
            Ticket(acme, ticketId: "T-1", status: "first_response", at: now.AddHours(-3)),
            Survey(acme, "nps", 3, respondentId: "ann"),
            Revenue(acme, 1000, at: now.AddDays(-60)),
            Revenue(acme, 900, at: now.AddDays(-2)),
            Survey(globex, "csat", 5));
        var second = Batch(Usage(acme, userId: "cy", feature: "api.call"), Survey(globex, "ces", 6));

        JsonObject acmeBefore, globexBefore, listBefore;
        var server1 = await StartAsync("server 1");
        using (var admin = server1.Client(Keys.Admin))
        {
            Assert.Equal((8, 0), await admin.IngestAsync(first));
            await admin.RegisterAsync(acme, name: "Acme", owner: "olga", segment: "enterprise", seats: 10, renewalDate: "2027-02-28");
            Assert.Equal((2, 0), await admin.IngestAsync(second));
            acmeBefore = (await admin.GetAccountAsync(acme))!;
            globexBefore = (await admin.GetAccountAsync(globex))!;
            listBefore = await ListAsync(admin, "?owner=olga");
        }
        Assert.Equal((3L, 2L, 1L, 2L), acmeBefore.Counts());
        Assert.NotNull(acmeBefore["health"]!["score"]);

        await server1.StopGracefullyAsync();
        Assert.Contains("Final checkpoint written", server1.Output);
        Assert.Equal(0, server1.ExitCode);

        var server2 = await StartAsync("server 2");
        using var client = server2.Client(Keys.Admin);
        var acmeAfter = (await client.GetAccountAsync(acme))!;
        var globexAfter = (await client.GetAccountAsync(globex))!;

        // Counts, score, band, components, explanation, metadata: all exactly as before.
        AssertSameJson(acmeBefore, acmeAfter);
        AssertSameJson(globexBefore, globexAfter);
        AssertSameJson(listBefore, await ListAsync(client, "?owner=olga"));
        // A clean stop leaves nothing to replay.
        Assert.DoesNotContain("Recovered", server2.Output);

        // The memory of applied ids survived too: a re-send changes nothing.
        Assert.Equal((0, 8), await client.IngestAsync(first));
        AssertSameJson(acmeBefore["signalCounts"], (await client.GetAccountAsync(acme))!["signalCounts"]);
    });

    [Fact]
    public Task After_kill_9_every_acknowledged_signal_is_there_exactly_once() => WithServerOutputOnFailure(async () =>
    {
        // No periodic checkpoint: whatever was acknowledged lives only in the ingest log (and, for
        // the registered account, in state written by the PUT) when the process dies.
        var environment = new Dictionary<string, string> { ["CsMetrics__Checkpoint__Interval"] = "01:00:00" };
        string a = NewAccountId("a"), b = NewAccountId("b"), c = NewAccountId("c");
        var first = Batch(
            Enumerable.Range(0, 30).Select(i => Usage(a, userId: $"u{i % 7}", feature: i % 2 == 0 ? "reports.export" : "api.call"))
            .Concat(Enumerable.Range(0, 10).Select(i => Survey(b, "nps", i, respondentId: $"r{i}")))
            .Append(Revenue(a, 500, at: DateTimeOffset.UtcNow.AddDays(-10))));
        var duplicateOfFirst = first["signals"]![0]!.AsObject();
        var second = Batch(
            Enumerable.Range(0, 20).Select(i => Ticket(c, ticketId: $"T-{i}", status: "opened", priority: i % 4 == 0 ? "urgent" : "normal"))
            .Concat(Enumerable.Range(0, 5).Select(i => Usage(b, userId: $"u{i}")))
            .Append(Survey(a, "csat", 2))
            .Append(duplicateOfFirst));

        var server1 = await StartAsync("server 1", environment);
        var before = new Dictionary<string, JsonObject>();
        using (var client = server1.Client(Keys.Admin))
        {
            Assert.Equal((41, 0), await client.IngestAsync(first));
            // The PUT writes a's state (with the first batch in it) at once: on replay, those are duplicates.
            await client.RegisterAsync(a, name: "Alpha", seats: 20);
            Assert.Equal((26, 1), await client.IngestAsync(second));
            foreach (var id in new[] { a, b, c })
            {
                before[id] = (await client.GetAccountAsync(id))!;
            }
        }
        // Killed right after the last 202.
        await server1.KillAsync();

        Assert.Equal((30L, 0L, 1L, 1L), before[a].Counts());
        Assert.Equal((5L, 0L, 10L, 0L), before[b].Counts());
        Assert.Equal((0L, 20L, 0L, 0L), before[c].Counts());

        var server2 = await StartAsync("server 2", environment);
        await server2.AssertOutputContainsAsync("Recovered");
        using var client2 = server2.Client(Keys.Admin);
        foreach (var id in new[] { a, b, c })
        {
            var after = (await client2.GetAccountAsync(id))!;
            AssertSameJson(before[id]["signalCounts"], after["signalCounts"]);
            Assert.Equal(before[id]["health"]!["score"]!.GetValue<double>(), after["health"]!["score"]!.GetValue<double>());
            Assert.Equal(before[id]["health"]!["band"]!.GetValue<string>(), after["health"]!["band"]!.GetValue<string>());
        }
        Assert.Equal("Alpha", (await client2.GetAccountAsync(a))!["name"]!.GetValue<string>());

        // Every signal of both batches is known: re-sending them changes nothing.
        Assert.Equal((0, 27), await client2.IngestAsync(second));
        Assert.Equal((0, 41), await client2.IngestAsync(first));
        foreach (var id in new[] { a, b, c })
        {
            AssertSameJson(before[id]["signalCounts"], (await client2.GetAccountAsync(id))!["signalCounts"]);
        }

        // And a second crash after recovery loses nothing either.
        await server2.KillAsync();
        var server3 = await StartAsync("server 3", environment);
        using var client3 = server3.Client(Keys.Read);
        foreach (var id in new[] { a, b, c })
        {
            AssertSameJson(before[id]["signalCounts"], (await client3.GetAccountAsync(id))!["signalCounts"]);
        }
    });

    private static async Task<JsonObject> ListAsync(HttpClient client, string query)
    {
        using var response = await client.GetAsync("/api/v1/accounts" + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.ReadJsonAsync())!.AsObject();
    }

    private static void AssertSameJson(JsonNode? expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(expected, actual), $"expected {expected?.ToJsonString()}\n  actual {actual?.ToJsonString()}");

    public void Dispose() => _dataDir.Dispose();
}
