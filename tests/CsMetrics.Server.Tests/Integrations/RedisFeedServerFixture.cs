using System.Globalization;
using CsMetrics.Server.Tests.Support;
using StackExchange.Redis;

namespace CsMetrics.Server.Tests.Integrations;

/// <summary>
/// A real redis-server plus a server whose Redis Streams feed consumes a stream of its own, with a
/// one-second claim idle time. The feed is set up through <c>CsMetrics:RedisFeed:Connection</c>,
/// not <c>CsMetrics:Redis</c>/CSMETRICS_REDIS, so these servers stay in embedded mode whatever
/// cluster mode does with that variable.
/// </summary>
public sealed class RedisFeedServerFixture : ServerFixture, IAsyncLifetime
{
    public static readonly TimeSpan ClaimIdle = TimeSpan.FromSeconds(1);

    public RedisServerProcess Redis { get; private set; } = null!;

    /// <summary>The test's own connection, to XADD and inspect the group as a producer would.</summary>
    public ConnectionMultiplexer Connection { get; private set; } = null!;

    public IDatabase Db => Connection.GetDatabase();

    public string Stream { get; } = $"test:signals:{Guid.NewGuid():N}";

    /// <summary>A server consuming <paramref name="stream"/> on this fixture's Redis.</summary>
    public CsMetricsFactory FeedServer(string stream, IDictionary<string, string?>? settings = null, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["CsMetrics:RedisFeed:Connection"] = Redis.ConfigurationString,
            ["CsMetrics:RedisFeed:Stream"] = stream,
            ["CsMetrics:RedisFeed:ClaimIdle"] = ClaimIdle.ToString("c", CultureInfo.InvariantCulture),
            ["CsMetrics:RedisFeed:PollInterval"] = "00:00:00.050",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            all[k] = v;
        }
        return new(settings: all, services: services);
    }

    protected override CsMetricsFactory CreateFactory() => FeedServer(Stream);

    public override async Task InitializeAsync()
    {
        Redis = await RedisServerProcess.StartAsync();
        Connection = await ConnectionMultiplexer.ConnectAsync(Redis.ConfigurationString);
        await base.InitializeAsync();
    }

    // ServerFixture.DisposeAsync is not virtual: re-implement the interface to stop Redis too.
    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync();
        await Connection.DisposeAsync();
        await Redis.DisposeAsync();
    }
}
