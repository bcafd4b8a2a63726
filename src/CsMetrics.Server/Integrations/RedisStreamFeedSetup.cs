using CsMetrics.Server.Integrations;

// In the Hosting namespace, next to AddCsMetricsServer which calls it.
namespace CsMetrics.Server.Hosting;

public static class RedisStreamFeedSetup
{
    /// <summary>
    /// The Redis Streams feed's settings and background consumer (docs/integrations.md#redis-streams-feed).
    /// Its CSMETRICS_* variables are mapped here, not with the others, so that cluster mode (which
    /// also reads CSMETRICS_REDIS) and the feed stay independent.
    /// </summary>
    public static WebApplicationBuilder AddCsMetricsRedisStreamFeed(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var map = new Dictionary<string, string?>();
        string Key(string name) => $"{RedisStreamFeedOptions.Section}:{name}";
        void Default(string key, string? value)
        {
            if (!string.IsNullOrEmpty(value) && string.IsNullOrEmpty(config[key]))
            {
                map[key] = value;
            }
        }
        Default(Key(nameof(RedisStreamFeedOptions.Stream)), Environment.GetEnvironmentVariable("CSMETRICS_REDIS_STREAM"));
        Default(Key(nameof(RedisStreamFeedOptions.Group)), Environment.GetEnvironmentVariable("CSMETRICS_REDIS_GROUP"));
        Default(Key(nameof(RedisStreamFeedOptions.ClaimIdle)), Environment.GetEnvironmentVariable("CSMETRICS_REDIS_CLAIM_IDLE"));
        Default(Key(nameof(RedisStreamFeedOptions.Connection)), config["CsMetrics:Redis"] ?? Environment.GetEnvironmentVariable("CSMETRICS_REDIS"));
        // Naming a stream switches the feed on, unless it is set explicitly.
        bool streamNamed = !string.IsNullOrEmpty(config[Key(nameof(RedisStreamFeedOptions.Stream))]) || map.ContainsKey(Key(nameof(RedisStreamFeedOptions.Stream)));
        Default(Key(nameof(RedisStreamFeedOptions.Enabled)), streamNamed ? "true" : null);
        config.AddInMemoryCollection(map);

        builder.Services.AddOptions<RedisStreamFeedOptions>().BindConfiguration(RedisStreamFeedOptions.Section);
        builder.Services.AddHostedService<RedisStreamFeed>();
        return builder;
    }
}
