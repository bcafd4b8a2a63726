using CsMetrics.Contracts.Accounts;
using CsMetrics.Grains.Accounts;
using CsMetrics.Grains.Tests.Cluster;
using CsMetrics.Scoring.Signals;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Storage;
using static CsMetrics.Grains.Tests.Cluster.Sig;

namespace CsMetrics.Grains.Tests.Accounts;

/// <summary>
/// An account's consecutive changes share the component pairs that did not move, and its
/// checkpoint (SQLite, the production configuration) keeps them shared: what a restored account
/// holds in memory.
/// </summary>
public sealed class SharedComponentsTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "csm-shared-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 6, 2, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task A_change_that_moves_one_component_shares_the_others_with_the_change_before()
    {
        var cluster = await ClusterFixture.StartEmbeddedAsync(_dataDir, _time);
        try
        {
            const string id = "shared-components";
            var now = _time.GetUtcNow();
            var grain = cluster.Client.GetGrain<IAccountGrain>(id);
            await grain.Apply(Batch(Usage(id, "u1", now.AddHours(-2), "ann", "reports.export")));
            await grain.Apply(Batch(Survey(id, "s1", now.AddHours(-1), SurveyKind.Nps, 3, "r1")));
            await grain.Apply(Batch(Survey(id, "s2", now, SurveyKind.Nps, 10, "r2")));
            await grain.Checkpoint();

            var storage = cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(StorageNames.Accounts);
            var stored = new GrainState<AccountGrainState>();
            await storage.ReadStateAsync("account", GrainId.Create("account", id), stored);
            Assert.True(stored.RecordExists, "the checkpoint wrote no state");
            var changes = stored.State!.RecentChanges; // newest first
            Assert.Equal(3, changes.Length);
            var (newest, before) = (changes[0].Components, changes[1].Components);
            Assert.Equal(before.Length, newest.Length);
            int shared = 0;
            for (int i = 0; i < newest.Length; i++)
            {
                Assert.Equal(before[i].Name, newest[i].Name);
                if (newest[i].Name == "sentiment")
                {
                    // Moved by both answers: each change has its own pair.
                    Assert.NotEqual(newest[i].Before, newest[i].After);
                    Assert.NotSame(before[i], newest[i]);
                }
                else
                {
                    Assert.Equal(before[i], newest[i]);
                    Assert.Same(before[i], newest[i]);
                    shared++;
                }
            }
            Assert.True(shared >= 3, $"only {shared} shared component pairs");
        }
        finally
        {
            await ClusterFixture.StopAndDeleteAsync(cluster, _dataDir);
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_dataDir))
        {
            Directory.Delete(_dataDir, recursive: true);
        }
    }
}
