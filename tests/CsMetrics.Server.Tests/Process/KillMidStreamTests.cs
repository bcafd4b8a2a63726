using System.Net;
using System.Text.Json.Nodes;
using CsMetrics.Server.Tests.Support;
using Xunit.Abstractions;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Process;

/// <summary>
/// The embedded-mode durability proof (docs/durability.md) against the real server process: a
/// producer streams batches with several requests in flight, the server is SIGKILLed mid-stream,
/// restarted on the same data directory, and the producer re-sends what got no 202 (plus a few
/// that did). Every account then holds exactly the signals generated for it, and scores exactly
/// as a fresh server that received every batch once.
/// </summary>
public sealed class KillMidStreamTests(ITestOutputHelper output) : IDisposable
{
    private const int BatchCount = 60;
    private const int SignalsPerBatch = 100;
    private const int AccountCount = 40;
    private const int Senders = 4;
    private const int KillAfterAcks = 15;

    private readonly TempDirectory _dataDir = new("csmetrics-killmid");
    private readonly TempDirectory _referenceDir = new("csmetrics-killmid-ref");

    // Checkpoints every 250 ms (logged), so the kill lands after some and maybe during one.
    private static readonly Dictionary<string, string> ServerEnvironment = new()
    {
        ["CsMetrics__Checkpoint__Interval"] = "00:00:00.250",
        ["Logging__LogLevel__CsMetrics.Grains.Checkpoints"] = "Debug",
    };

    private static readonly System.Text.RegularExpressions.Regex CheckpointLine = new(@"Checkpointed [1-9]\d* accounts through log entry [1-9]", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    private ServerGroup? _group;

    private ServerGroup Group => _group ??= new ServerGroup(output);

    private Task<ServerProcess> StartAsync(string name, string dataDir) => Group.StartAsync(name, dataDir, ServerEnvironment);

    private Task WithServerOutputOnFailure(Func<Task> body) => Group.RunAsync(body);

    [Fact]
    public Task SIGKILL_mid_stream_then_restart_and_resend_gives_exact_counts_and_the_same_scores() => WithServerOutputOnFailure(async () =>
    {
        var accounts = Enumerable.Range(0, AccountCount).Select(i => NewAccountId($"kms{i:00}")).ToArray();
        var (batches, expected) = StreamWorkload.Generate(accounts, BatchCount, SignalsPerBatch, "kms");

        // ---- Phase 1: stream with several requests in flight; SIGKILL once enough got their 202.
        var server1 = await StartAsync("server 1", _dataDir.Path);
        var acked = new bool[BatchCount];
        var anomalies = new System.Collections.Concurrent.ConcurrentQueue<string>();
        int next = -1, ackCount = 0, inFlight = 0, killed = 0, noAnswer = 0, fullSpeed = 0;
        var enoughAcks = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (var client = server1.Client(Keys.Ingest))
        {
            async Task SendLoop()
            {
                while (Volatile.Read(ref killed) == 0)
                {
                    int i = Interlocked.Increment(ref next);
                    if (i >= BatchCount)
                    {
                        return;
                    }
                    Interlocked.Increment(ref inFlight);
                    try
                    {
                        using var response = await client.PostSignalsAsync(batches[i]);
                        var body = await response.ReadJsonAsync();
                        if (response.StatusCode != HttpStatusCode.Accepted)
                        {
                            anomalies.Enqueue($"batch {i}: {(int)response.StatusCode} {body?.ToJsonString()}");
                            continue;
                        }
                        int accepted = body!["accepted"]!.GetValue<int>(), duplicates = body["duplicates"]!.GetValue<int>();
                        if ((accepted, duplicates) != (SignalsPerBatch, 0))
                        {
                            anomalies.Enqueue($"batch {i}: 202 with accepted {accepted}, duplicates {duplicates}");
                        }
                        acked[i] = true;
                        if (Interlocked.Increment(ref ackCount) >= KillAfterAcks)
                        {
                            enoughAcks.TrySetResult();
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
                    {
                        // The server died under this request: no answer, so the producer must re-send it.
                        Interlocked.Increment(ref noAnswer);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref inFlight);
                    }
                    if (Volatile.Read(ref fullSpeed) == 0)
                    {
                        // A steady stream rather than one burst until a checkpoint happened; then full speed,
                        // so several requests are in flight when the kill comes.
                        await Task.Delay(40);
                    }
                }
            }

            var senders = Enumerable.Range(0, Senders).Select(_ => Task.Run(SendLoop)).ToArray();
            await enoughAcks.Task.WaitAsync(ServerProcess.Timeout);
            // Kill only once a checkpoint has written accounts and moved past acknowledged entries:
            // recovery then starts from a real checkpoint, not from an empty state.
            var deadline = DateTime.UtcNow + ServerProcess.Timeout;
            while (!CheckpointLine.IsMatch(server1.Output))
            {
                Assert.True(DateTime.UtcNow < deadline, "no checkpoint was logged while streaming");
                Assert.True(Volatile.Read(ref ackCount) < BatchCount, "the stream ended before a checkpoint was logged");
                await Task.Delay(10);
            }
            Volatile.Write(ref fullSpeed, 1);
            int ackedAtCheckpoint = Volatile.Read(ref ackCount);
            while (Volatile.Read(ref ackCount) < ackedAtCheckpoint + Senders)
            {
                Assert.True(DateTime.UtcNow < deadline, "the stream stalled after the checkpoint");
                await Task.Delay(1);
            }
            int inFlightAtKill = Volatile.Read(ref inFlight);
            Volatile.Write(ref killed, 1);
            await server1.KillAsync();
            await Task.WhenAll(senders).WaitAsync(ServerProcess.Timeout);
            output.WriteLine($"killed after {Volatile.Read(ref ackCount)} acknowledged batches, {inFlightAtKill} in flight at the kill, {noAnswer} got no answer");
        }
        Assert.Empty(anomalies);
        int ackedBefore = acked.Count(a => a);
        Assert.InRange(ackedBefore, KillAfterAcks, BatchCount - 1);

        // ---- Phase 2: restart on the same data directory; re-send every unacknowledged batch and a few acknowledged ones.
        var server2 = await StartAsync("server 2", _dataDir.Path);
        output.WriteLine("server 2: " + (server2.Output.Split('\n').FirstOrDefault(l => l.Contains("Recovered", StringComparison.Ordinal)) ?? "replayed nothing"));
        using (var client = server2.Client(Keys.Admin))
        {
            var unacked = Enumerable.Range(0, BatchCount).Where(i => !acked[i]).ToArray();
            var ackedSample = Enumerable.Range(0, BatchCount).Where(i => acked[i]).Take(3).ToArray();
            int cursor = -1;
            async Task ResendLoop()
            {
                while (true)
                {
                    int k = Interlocked.Increment(ref cursor);
                    if (k >= unacked.Length)
                    {
                        return;
                    }
                    var (accepted, duplicates) = await client.IngestAsync(batches[unacked[k]]);
                    Assert.Equal(SignalsPerBatch, accepted + duplicates);
                }
            }
            await Task.WhenAll(Enumerable.Range(0, Senders).Select(_ => Task.Run(ResendLoop))).WaitAsync(ServerProcess.Timeout);
            foreach (int i in ackedSample)
            {
                // Acknowledged before the kill: every signal of it is known.
                Assert.Equal((0, SignalsPerBatch), await client.IngestAsync(batches[i]));
            }
        }

        // ---- Reference: a fresh server on its own data directory receives every batch once, in order.
        var reference = await StartAsync("reference", _referenceDir.Path);
        using (var client = reference.Client(Keys.Admin))
        {
            for (int i = 0; i < BatchCount; i++)
            {
                Assert.Equal((SignalsPerBatch, 0), await client.IngestAsync(batches[i]));
            }
        }

        using var recovered = server2.Client(Keys.Read);
        using var fresh = reference.Client(Keys.Read);
        foreach (var id in accounts)
        {
            var after = (await recovered.GetAccountAsync(id))!;
            var once = (await fresh.GetAccountAsync(id))!;
            Assert.True(expected[id] == after.Counts(), $"{id}: expected counts {expected[id]}, recovered server has {after.Counts()}");
            Assert.True(expected[id] == once.Counts(), $"{id}: expected counts {expected[id]}, reference server has {once.Counts()}");
            Assert.True(JsonNode.DeepEquals(once["health"]!["score"], after["health"]!["score"]) && JsonNode.DeepEquals(once["health"]!["band"], after["health"]!["band"]),
                $"{id}: reference health {once["health"]!.ToJsonString()}\n  recovered health {after["health"]!.ToJsonString()}");
        }
    });

    public void Dispose()
    {
        _dataDir.Dispose();
        _referenceDir.Dispose();
    }
}
