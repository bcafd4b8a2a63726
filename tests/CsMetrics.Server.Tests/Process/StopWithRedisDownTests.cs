using CsMetrics.Server.Tests.Support;
using Xunit.Abstractions;

namespace CsMetrics.Server.Tests.Process;

/// <summary>
/// SIGTERM to a cluster-mode node whose Redis is gone: Orleans retries the membership table for
/// ever while stopping, so without the shutdown watchdog the process never exits by itself. With
/// it, the node exits with code 1 a grace period after its (failed) final checkpoint and says why;
/// with Redis up, a SIGTERM is the ordinary clean stop (code 0) and the watchdog stays silent.
/// </summary>
public sealed class StopWithRedisDownTests(ITestOutputHelper output) : IDisposable
{
    private const string WatchdogLine = "exiting with code 1";

    private readonly TempDirectory _dataDir = new("csmetrics-stop-redis-down");
    private readonly ServerGroup _group = new(output);

    [Fact]
    public Task A_node_whose_Redis_is_gone_still_exits_after_SIGTERM_and_a_healthy_one_exits_cleanly() => _group.RunAsync(async () =>
    {
        await using var redis = await RedisServerProcess.StartAsync();
        var environment = new Dictionary<string, string>
        {
            ["CSMETRICS_REDIS"] = redis.ConfigurationString,
            ["CSMETRICS_CLUSTER_ID"] = $"test-{Guid.NewGuid():N}",
            ["CsMetrics__StopGrace"] = "00:00:03",
        };

        var healthy = await _group.StartAsync("healthy", Path.Combine(_dataDir.Path, "healthy"), environment);
        await healthy.StopGracefullyAsync();
        Assert.Equal(0, healthy.ExitCode);
        Assert.Contains("Final checkpoint written", healthy.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(WatchdogLine, healthy.Output, StringComparison.Ordinal);

        var orphaned = await _group.StartAsync("redis down", Path.Combine(_dataDir.Path, "down"), environment);
        await redis.DisposeAsync();
        // Within ServerProcess.Timeout (60 s): the checkpoint's Redis calls time out (~10 s), then 3 s of grace.
        await orphaned.StopGracefullyAsync();
        Assert.Equal(1, orphaned.ExitCode);
        Assert.Contains("Final checkpoint failed", orphaned.Output, StringComparison.Ordinal);
        Assert.Contains(WatchdogLine, orphaned.Output, StringComparison.Ordinal);
    });

    public void Dispose() => _dataDir.Dispose();
}
