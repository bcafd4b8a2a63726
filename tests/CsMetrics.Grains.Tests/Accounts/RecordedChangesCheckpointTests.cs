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
/// An account's explained changes and latest signals, as its checkpoint (SQLite, the production
/// configuration) keeps them: what a restored account shows.
/// </summary>
public sealed class RecordedChangesCheckpointTests : IAsyncLifetime
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "csm-recorded-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 6, 2, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task The_checkpoint_holds_every_change_and_signal_the_account_shows()
    {
        var cluster = await ClusterFixture.StartEmbeddedAsync(_dataDir, _time);
        try
        {
            const string id = "recorded-changes";
            var now = _time.GetUtcNow();
            var grain = cluster.Client.GetGrain<IAccountGrain>(id);
            await grain.Apply(Batch(Usage(id, "u1", now.AddHours(-2), "ann", "reports.export")));
            await grain.Apply(Batch(Survey(id, "s1", now.AddHours(-1), SurveyKind.Nps, 3, "r1")));
            await grain.Apply(Batch(Survey(id, "s2", now, SurveyKind.Nps, 10, "r2")));
            var view = (await grain.GetView())!;
            await grain.Checkpoint();

            var storage = cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(StorageNames.Accounts);
            var stored = new GrainState<AccountGrainState>();
            await storage.ReadStateAsync("account", GrainId.Create("account", id), stored);
            Assert.True(stored.RecordExists, "the checkpoint wrote no state");
            var changes = stored.State!.RecentChanges; // newest first
            Assert.Equal(3, changes.Length);
            Assert.Equal(["s2", "s1", "u1"], changes.Select(c => c.SignalId));
            Assert.Equal(view.RecentChanges.Length, changes.Length);
            for (int i = 0; i < changes.Length; i++)
            {
                var shown = view.RecentChanges[i];
                var restored = changes[i].ToScoreChange();
                Assert.Equal(shown with { Components = [] }, restored with { Components = [] });
                Assert.Equal(shown.Components, restored.Components);
            }
            // The second answer moved sentiment only: every other component's pair is unchanged.
            var newest = changes[0].Components;
            Assert.Contains(newest, c => c.Name == "sentiment" && c.Before != c.After);
            Assert.All(newest.Where(c => c.Name != "sentiment"), c => Assert.Equal(c.Before, c.After));
            Assert.Null(stored.State.LegacyRecentChanges);
            Assert.Null(stored.State.LegacyRecentSignals);
            Assert.Equal(view.RecentSignals, stored.State.LatestSignals.Reverse().Select(s => s.ToSummary()));
        }
        finally
        {
            await ClusterFixture.StopAndDeleteAsync(cluster, _dataDir);
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => ClusterFixture.StopAndDeleteAsync(null, _dataDir);
}
