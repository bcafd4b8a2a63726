using System.Globalization;
using System.Net;
using CsMetrics.Server.Tests.Support;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Observability;

/// <summary>A server of its own, so its Prometheus exporter is fresh.</summary>
public sealed class MetricsServerFixture : ServerFixture;

/// <summary>
/// The observability tests run alone: a MeterListener hears the meters of every host in the
/// process, and a host that shuts down meanwhile (another test's) takes its per-host ASP.NET Core
/// instruments out of this host's export.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ObservabilityCollection
{
    public const string Name = "observability";
}

/// <summary>GET /metrics: Prometheus text with the product's, Orleans' and ASP.NET Core's metrics.</summary>
[Collection(ObservabilityCollection.Name)]
public sealed class MetricsEndpointTests(MetricsServerFixture server) : IClassFixture<MetricsServerFixture>
{
    [Fact]
    public async Task Metrics_are_served_as_prometheus_text_without_a_key()
    {
        string acc = NewAccountId("obs");
        var (accepted, _) = await server.Ingest.IngestAsync(Batch(Usage(acc), Usage(acc), Ticket(acc)));
        Assert.Equal(3, accepted);

        string text = await PollAsync(t => Sum(t, "csmetrics_signals_ingested_total", "type=\"usage\"") >= 2
            && Sum(t, "csmetrics_signals_ingested_total", "type=\"ticket\"") >= 1);

        Assert.Contains("csmetrics_accounts_active", text, StringComparison.Ordinal);
        Assert.True(Sum(text, "csmetrics_accounts_active") >= 1);
        Assert.Contains("csmetrics_ingest_log_lag", text, StringComparison.Ordinal);
        Assert.Contains("csmetrics_ingest_log_unapplied", text, StringComparison.Ordinal);
        Assert.InRange(Sum(text, "csmetrics_memory_usage_percent"), 0.001, 100); // a test server's heap: a sliver of the machine
        Assert.Contains("csmetrics_ingest_apply_latency", text, StringComparison.Ordinal);
        Assert.Contains("csmetrics_score_changes_total", text, StringComparison.Ordinal);
        // Orleans' and ASP.NET Core's own meters come along.
        Assert.Contains("orleans_", text, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration", text, StringComparison.Ordinal);
        // Tags carry the signal type only: no account ids, keys or payload fields.
        Assert.DoesNotContain(acc, text, StringComparison.Ordinal);
        Assert.DoesNotContain(Keys.Ingest, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Duplicates_counter_rises_on_a_re_send()
    {
        string acc = NewAccountId("obs");
        var batch = Batch(Usage(acc), Revenue(acc, 99m));
        Assert.Equal((2, 0), await server.Ingest.IngestAsync(batch));
        double before = Sum(await ScrapeAsync(), "csmetrics_signals_duplicates_total");

        Assert.Equal((0, 2), await server.Ingest.IngestAsync(batch));

        string text = await PollAsync(t => Sum(t, "csmetrics_signals_duplicates_total") >= before + 2);
        Assert.True(Sum(text, "csmetrics_signals_duplicates_total") >= before + 2);
    }

    [Fact]
    public async Task Log_lag_gauge_counts_entries_past_the_checkpoint()
    {
        string acc = NewAccountId("obs");
        await server.Ingest.IngestAsync(Batch(Usage(acc)));

        string text = await PollAsync(t => Has(t, "csmetrics_ingest_log_lag"));

        Assert.True(Sum(text, "csmetrics_ingest_log_lag") >= 0);
        Assert.True(Sum(text, "csmetrics_ingest_log_unapplied") >= 0);
    }

    private async Task<string> ScrapeAsync()
    {
        using var response = await server.Anonymous.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>Scrapes until <paramref name="done"/> holds (measurements land asynchronously), for up to 10 s.</summary>
    private async Task<string> PollAsync(Func<string, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            string text = await ScrapeAsync();
            if (done(text))
            {
                return text;
            }
            Assert.True(DateTime.UtcNow < deadline, "metrics never reached the expected values:\n" + text);
            await Task.Delay(100);
        }
    }

    private static bool Has(string text, string name) => Samples(text, name).Any();

    /// <summary>The sum of the samples of <paramref name="name"/> whose labels contain <paramref name="label"/>.</summary>
    internal static double Sum(string text, string name, string? label = null) =>
        Samples(text, name).Where(s => label is null || s.Labels.Contains(label, StringComparison.Ordinal)).Sum(s => s.Value);

    private static IEnumerable<(string Labels, double Value)> Samples(string text, string name)
    {
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(name, StringComparison.Ordinal) || line.Length == name.Length || (line[name.Length] != '{' && line[name.Length] != ' '))
            {
                continue;
            }
            string labels = "", rest = line[name.Length..];
            if (rest.StartsWith('{'))
            {
                int close = rest.IndexOf('}', StringComparison.Ordinal);
                labels = rest[..(close + 1)];
                rest = rest[(close + 1)..];
            }
            string value = rest.Trim().Split(' ')[0];
            yield return (labels, double.Parse(value, CultureInfo.InvariantCulture));
        }
    }
}

/// <summary>A server with CsMetrics:Metrics:RequireKey=true.</summary>
public sealed class KeyedMetricsServerFixture : ServerFixture
{
    protected override CsMetricsFactory CreateFactory() =>
        new(settings: new Dictionary<string, string?> { ["CsMetrics:Metrics:RequireKey"] = "true" });
}

[Collection(ObservabilityCollection.Name)]
public sealed class KeyedMetricsEndpointTests(KeyedMetricsServerFixture server) : IClassFixture<KeyedMetricsServerFixture>
{
    [Fact]
    public async Task With_RequireKey_metrics_need_a_read_key()
    {
        using var anonymous = await server.Anonymous.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var ingestOnly = await server.Ingest.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.Forbidden, ingestOnly.StatusCode);
        using var read = await server.Read.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }
}
