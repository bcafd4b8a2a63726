using CsMetrics.Contracts.Accounts;
using CsMetrics.Grains;
using CsMetrics.Grains.Accounts;
using CsMetrics.Grains.Checkpoints;
using CsMetrics.Grains.Ingest;
using CsMetrics.Server.Tests.Support;
using CsMetrics.Server.Tests.Time;
using Microsoft.Extensions.DependencyInjection;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Memory;

/// <summary>
/// <c>CsMetrics:Memory:ShedAbovePercent</c>: Orleans deactivates least recently used activations
/// while the process uses more than that share of its memory. Set far below what any process
/// uses, it sheds on every look, so accounts (and shards, watchlists, the epoch grain) come and
/// go between every two batches: nothing applied may be lost or counted twice, the checkpoint
/// must still move on without replaying the log, and a restart must find the same accounts.
/// </summary>
public sealed class MemorySheddingTests
{
    private const int Accounts = 30;
    private const int Rounds = 8;

    [Fact]
    public async Task Accounts_shed_under_memory_pressure_keep_every_signal_and_the_checkpoint_moves_on()
    {
        using var dataDir = new TempDirectory("csmetrics-shedding");
        var ids = Enumerable.Range(0, Accounts).Select(_ => NewAccountId("shed")).ToArray();
        var shedding = new Dictionary<string, string?>
        {
            ["CsMetrics:Memory:ShedAbovePercent"] = "0.02",
            ["CsMetrics:Memory:ShedToPercent"] = "0.01",
            ["CsMetrics:Memory:CheckInterval"] = "00:00:00.300",
        };
        await using (var factory = new CsMetricsFactory(dataDir: dataDir.Path, settings: shedding))
        {
            var ingest = factory.ClientWithKey(Keys.Ingest);
            var read = factory.ClientWithKey(Keys.Read);
            var grains = factory.Services.GetRequiredService<IGrainFactory>();
            var log = factory.Services.GetRequiredService<IIngestLog>();
            var checkpointer = factory.Services.GetRequiredService<Checkpointer>();
            var firstActivations = new Dictionary<string, long>(StringComparer.Ordinal);
            for (int round = 0; round < Rounds; round++)
            {
                var batch = Batch(ids.Select(id => Usage(id, $"{id}-u{round}", Recent, userId: $"user-{round}")));
                Assert.Equal((Accounts, 0), await ingest.IngestAsync(batch));
                if (round == 0)
                {
                    foreach (var id in ids)
                    {
                        // The activation that applied this round. Shed already (every look sheds
                        // every idle account)? Then it handed off, and the one answering now was
                        // woken by this call and applied nothing (it hands off nothing either).
                        var holders = await grains.GetGrain<IAccountGrain>(id).CheckpointHolders();
                        firstActivations[id] = holders.HandedOff.Length > 0 ? holders.HandedOff[^1] : holders.Activation;
                    }
                }
                // A re-sent batch (a producer's retry) after the accounts may have been shed: all duplicates.
                if (round % 3 == 0)
                {
                    await Task.Delay(250);
                    Assert.Equal((0, Accounts), await ingest.IngestAsync(batch));
                }
                await Task.Delay(250);
                if (round == Rounds / 2)
                {
                    // Halfway, a checkpoint: accounts shed since the last one all check out.
                    // (Also keeps each round's accounts within the activations a mark tracks.)
                    Assert.Equal(log.LastSequence, await checkpointer.CheckpointAsync());
                }
            }
            // Orleans sheds only after a full GC since its last look; the node's trigger starts
            // those while memory is above the limit (nothing in this test collects by itself).
            Assert.True(factory.Services.GetRequiredService<MemoryPressureTrigger>().Triggered > 0);

            // The accounts did come and go (another activation answers now), and each handed off.
            // The state names the first activation among those that handed off — unless the
            // account was shed more often since than the state remembers (AccountGrain.HandedOffKept).
            int shed = 0, handedOff = 0;
            var lists = new List<int>();
            foreach (var id in ids)
            {
                var holders = await grains.GetGrain<IAccountGrain>(id).CheckpointHolders();
                bool wasShed = holders.Activation != firstActivations[id];
                shed += wasShed ? 1 : 0;
                handedOff += wasShed && (holders.Holds(firstActivations[id]) || holders.HandedOff.Length == AccountGrain.HandedOffKept) ? 1 : 0;
                lists.Add(holders.HandedOff.Length);
            }
            Assert.True(shed >= Accounts / 2, $"only {shed} of {Accounts} accounts were ever shed");
            Assert.True(shed == handedOff, $"{shed} accounts shed, {handedOff} of them handed off (lengths of their hand-off lists: {string.Join(", ", lists)})");

            foreach (var id in ids)
            {
                var account = await read.GetAccountAsync(id);
                Assert.NotNull(account);
                Assert.Equal(Rounds, account.Counts().Usage);
            }

            // Every handed-off activation checks out: the log is truncated, nothing replayed.
            long last = log.LastSequence;
            Assert.Equal(last, await checkpointer.CheckpointAsync());
            Assert.Equal(last, await log.GetCheckpointAsync());

            var listed = await ListedAsync(read);
            Assert.All(ids, id => Assert.Contains(id, listed));
        }

        await using (var restarted = new CsMetricsFactory(dataDir: dataDir.Path))
        {
            var read = restarted.ClientWithKey(Keys.Read);
            foreach (var id in ids)
            {
                Assert.Equal(Rounds, (await read.GetAccountAsync(id))!.Counts().Usage);
            }
        }
    }

    private static async Task<HashSet<string>> ListedAsync(HttpClient read)
    {
        var listed = new HashSet<string>(StringComparer.Ordinal);
        // The index hears of accounts one-way: give the last listings a moment.
        for (int attempt = 0; attempt < 50 && listed.Count < Accounts; attempt++)
        {
            var page = await read.GetOkAsync("/api/v1/accounts?limit=1000");
            listed = page["accounts"]!.AsArray().Select(a => a!["accountId"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
            await Task.Delay(100);
        }
        return listed;
    }
}
