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
