using CsMetrics.Contracts.Accounts;
using CsMetrics.Grains.Tests.Cluster;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;
using static CsMetrics.Grains.Tests.Cluster.Sig;

namespace CsMetrics.Grains.Tests.Time;

/// <summary>
/// Overrides, their audit and the score history in the embedded (production) configuration:
/// SQLite grain state in a data folder, the silo stopped and started again in between.
/// </summary>
public sealed class TimeRestartTests : IAsyncLifetime
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "csm-time-restart-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(TimeClusterFixture.Start);

    private Task<InProcessTestCluster> Start() => ClusterFixture.StartEmbeddedAsync(_dataDir, _time, TimeClusterFixture.UseRealTimeForGrainTimers);

    [Fact]
    public async Task Override_audit_and_history_survive_a_restart_and_the_override_still_expires_after_it()
    {
        string id = NewAccount("restart");
        var t0 = _time.GetUtcNow();
        var expires = t0.AddDays(1);
        AccountView before;
        HistoryPoint[] history;

        await using (var cluster = await Start())
        {
            var grain = cluster.Client.GetGrain<IAccountGrain>(id);
            await grain.Apply(Batch(Usage(id, "u1", t0, "alice")));                       // 60
            _time.Advance(TimeSpan.FromMinutes(2));
            await Scenario.UsedToday(grain, id, _time.GetUtcNow(), "u2");                // 70
            await grain.SetOverride(new ScoreOverride(null, 20, "churn notice received", expires, "olivia"));
            before = (await grain.GetView())!;
            history = await grain.GetHistory(t0.AddDays(-1), _time.GetUtcNow());
            Assert.Equal(2, history.Length);
            Assert.Equal((20.0, "red", true), (before.Health.Score!.Value, before.Health.Band, before.Health.Overridden));
            await cluster.StopAllSilosAsync();
        }

        await using (var restarted = await Start())
        {
            var grain = restarted.Client.GetGrain<IAccountGrain>(id);
            var after = (await grain.GetView())!;
            Assert.Equal(System.Text.Json.JsonSerializer.Serialize(before), System.Text.Json.JsonSerializer.Serialize(after));
            Assert.Equal(new OverrideView(null, 20, "churn notice received", expires, "olivia", t0.AddMinutes(2)), after.Health.Override);
            Assert.Equal(history, await grain.GetHistory(t0.AddDays(-1), _time.GetUtcNow()));

            // The override still ends at its expiry, audited.
            _time.Advance(TimeSpan.FromDays(1));
            await grain.Reevaluate();
            var expired = (await grain.GetView())!;
            Assert.False(expired.Health.Overridden);
            Assert.Equal(["set", "expired"], expired.OverrideAudit.Select(a => a.Action));
            await restarted.StopAllSilosAsync();
        }

        await using (var again = await Start())
        {
            var view = (await again.Client.GetGrain<IAccountGrain>(id).GetView())!;
            Assert.Equal(["set", "expired"], view.OverrideAudit.Select(a => a.Action));
            Assert.Null(view.Health.Override);
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => ClusterFixture.StopAndDeleteAsync(null, _dataDir);
}
