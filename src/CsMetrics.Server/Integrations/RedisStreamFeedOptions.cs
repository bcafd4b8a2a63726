namespace CsMetrics.Server.Integrations;

/// <summary>
/// The Redis Streams feed (docs/integrations.md#redis-streams-feed), section "CsMetrics:RedisFeed".
/// The feed runs when <see cref="Enabled"/> and a <see cref="Connection"/> is known.
/// </summary>
public sealed class RedisStreamFeedOptions
{
    public const string Section = "CsMetrics:RedisFeed";
    public const string DefaultStream = "csmetrics:signals";
    public const string DefaultGroup = "csmetrics";

    /// <summary>On when a stream is named (CSMETRICS_REDIS_STREAM or <c>CsMetrics:RedisFeed:Stream</c>) unless set explicitly.</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// A StackExchange.Redis configuration string. Defaults to <c>CsMetrics:Redis</c> (CSMETRICS_REDIS,
    /// which also selects cluster mode); setting only this key runs the feed without cluster mode.
    /// </summary>
    public string? Connection { get; set; }

    /// <summary>The stream to consume (CSMETRICS_REDIS_STREAM). Unreadable entries go to <c>&lt;stream&gt;:rejected</c>.</summary>
    public string Stream { get; set; } = DefaultStream;

    /// <summary>The consumer group every node reads in (CSMETRICS_REDIS_GROUP).</summary>
    public string Group { get; set; } = DefaultGroup;

    /// <summary>This node's consumer name; unique per node. Default: machine, silo port and a random suffix.</summary>
    public string? Consumer { get; set; }

    /// <summary>How long an entry may stay pending (read, not acknowledged) before another node claims it (CSMETRICS_REDIS_CLAIM_IDLE).</summary>
    public TimeSpan ClaimIdle { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The wait before reading again when the stream had nothing new (the client cannot block on XREADGROUP).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Entries read (or claimed) per command.</summary>
    public int ReadCount { get; set; } = 100;

    /// <summary>
    /// Deliveries after which an entry whose ingest keeps failing (not a validation error) is moved
    /// to <c>:rejected</c> instead of being claimed again: a poison entry must not be retried for ever.
    /// </summary>
    public int MaxDeliveries { get; set; } = 10;

    /// <summary>
    /// A consumer with nothing pending that has not read for this long is removed from the group
    /// (a node that died; a stopping node removes its own). Each start joins as a new consumer.
    /// </summary>
    public TimeSpan ConsumerExpiry { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Approximate cap of the <c>:rejected</c> stream (XADD MAXLEN ~).</summary>
    public int RejectedMaxLength { get; set; } = 10_000;

    public string RejectedStream => Stream + ":rejected";
}
