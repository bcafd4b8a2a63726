namespace CsMetrics.Server.Hosting;

/// <summary>Server-wide settings, bound from the "CsMetrics" section and CSMETRICS_* variables.</summary>
public sealed class CsMetricsOptions
{
    public const string Section = "CsMetrics";

    /// <summary>Where embedded mode keeps its SQLite files and the generated admin key (CSMETRICS_DATA_DIR).</summary>
    public string DataDir { get; set; } = "./data";

    /// <summary>Comma-separated <c>key:scope[+scope]</c> list (CSMETRICS_API_KEYS).</summary>
    public string? ApiKeys { get; set; }

    /// <summary>Signals per ingest request.</summary>
    public int MaxBatchSignals { get; set; } = 5000;

    /// <summary>Bytes per ingest request body.</summary>
    public long MaxRequestBodyBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Orleans silo and gateway ports (embedded mode uses localhost clustering).</summary>
    public int SiloPort { get; set; } = 11111;

    public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// Joins the silo whose port this is (on loopback) instead of starting a cluster of one:
    /// several embedded nodes on one machine, for tests and trials (CSMETRICS_PRIMARY_SILO_PORT).
    /// Production clusters use Redis (CSMETRICS_REDIS).
    /// </summary>
    public int? PrimarySiloPort { get; set; }

    /// <summary>
    /// A StackExchange.Redis configuration string (CSMETRICS_REDIS). Set, it switches the node to
    /// cluster mode: Orleans membership, grain state and the ingest log in that Redis.
    /// </summary>
    public string? Redis { get; set; }

    /// <summary>Names this node in its ingest log's name (CSMETRICS_NODE_NAME); default host-siloPort.</summary>
    public string? NodeName { get; set; }

    /// <summary>
    /// Orleans cluster id in cluster mode (CSMETRICS_CLUSTER_ID): nodes with the same id form one
    /// cluster. State is keyed by the service id ("csmetrics"), so a new cluster id keeps the data.
    /// </summary>
    public string ClusterId { get; set; } = "csmetrics";

    /// <summary>The address other nodes reach this one at (CSMETRICS_ADVERTISED_IP); default loopback.</summary>
    public string? AdvertisedIp { get; set; }

    /// <summary>Orleans membership probe timeout: lower finds dead nodes sooner (tests, local clusters).</summary>
    public TimeSpan? ProbeTimeout { get; set; }

    /// <summary>
    /// How long the silo's stop may go on after the final checkpoint before the process exits with
    /// code 1 anyway (<see cref="ShutdownWatchdog"/>); zero turns the watchdog off. Orleans retries
    /// an unreachable membership table for ever while stopping (cluster mode with Redis down).
    /// </summary>
    public TimeSpan StopGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Seed and stream realistic demo accounts (<c>--demo</c>).</summary>
    public bool Demo { get; set; }

    /// <summary>Switches for the benchmark suite (tests/CsMetrics.Benchmarks); all off by default.</summary>
    public BenchmarkOptions Benchmark { get; set; } = new();
}

public sealed class BenchmarkOptions
{
    /// <summary>
    /// Maps <c>POST /api/v1/benchmark/ceiling</c>, which parses an ingest batch and discards it
    /// (CsMetrics__Benchmark__CeilingEndpoint=true). Never enable it in production.
    /// </summary>
    public bool CeilingEndpoint { get; set; }
}
