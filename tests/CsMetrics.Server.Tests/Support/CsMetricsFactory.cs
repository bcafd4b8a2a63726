using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CsMetrics.Server.Tests.Support;

/// <summary>
/// The whole server (HTTP API + co-hosted Orleans silo) in the test process, on its own data
/// folder and its own Orleans ports, so several factories can run side by side.
/// </summary>
/// <remarks>
/// Settings go in with <see cref="IWebHostBuilder.UseSetting"/>: with minimal hosting,
/// WebApplicationFactory hands those to <c>WebApplication.CreateBuilder</c> as host configuration,
/// so they are already in <c>builder.Configuration</c> when <c>AddCsMetricsServer</c> reads the
/// data folder and ports (ConfigureAppConfiguration would come too late for that).
/// The generated-key and parallel-collection tests prove it: a wrong data folder or port would
/// show up as a missing admin.key or a port conflict.
/// </remarks>
public sealed class CsMetricsFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly TempDirectory? _ownedDataDir;
    private readonly Action<IServiceCollection>? _services;

    /// <param name="apiKeys">CsMetrics:ApiKeys; null leaves keys unconfigured (the server generates admin.key).</param>
    /// <param name="dataDir">An existing data folder (kept on dispose); null creates a temp one (deleted on dispose).</param>
    /// <param name="services">Changes to the server's services after its own (a fault to inject).</param>
    public CsMetricsFactory(string? apiKeys = Keys.Configuration, string? dataDir = null, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        _services = services;
        if (dataDir is null)
        {
            _ownedDataDir = new TempDirectory("csmetrics-server-test");
            dataDir = _ownedDataDir.Path;
        }
        DataDir = dataDir;
        SiloPort = FreePorts.Next();
        GatewayPort = FreePorts.Next();
        _settings = new Dictionary<string, string?>
        {
            ["CsMetrics:DataDir"] = DataDir,
            ["CsMetrics:SiloPort"] = SiloPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CsMetrics:GatewayPort"] = GatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // Portfolio facts after every batch: tests read /api/v1/metrics right after ingest.
            ["CsMetrics:Metrics:PublishWindow"] = "00:00:00",
            // Never Environment.Exit the test runner (ShutdownWatchdog); process tests keep it.
            ["CsMetrics:StopGrace"] = "00:00:00",
        };
        if (apiKeys is not null)
        {
            _settings["CsMetrics:ApiKeys"] = apiKeys;
        }
        if (settings is not null)
        {
            foreach (var (k, v) in settings)
            {
                _settings[k] = v;
            }
        }
    }

    public string DataDir { get; }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
        // As deployed: in Development, minimal APIs throw on bad requests (e.g. "?limit=abc") and
        // the exception handler turns that into a 500 instead of the 400 production answers.
        builder.UseEnvironment("Production");
        if (_services is not null)
        {
            builder.ConfigureTestServices(_services);
        }
        builder.ConfigureLogging(logging =>
        {
            // Orleans is chatty at Information; keep test output to what matters.
            logging.SetMinimumLevel(LogLevel.Warning);
        });
    }

    /// <summary>A client that presents <paramref name="key"/> as a bearer token (or as X-Api-Key).</summary>
    public HttpClient ClientWithKey(string? key, bool asXApiKey = false)
    {
        var client = CreateClient();
        if (key is not null)
        {
            if (asXApiKey)
            {
                client.DefaultRequestHeaders.Add("X-Api-Key", key);
            }
            else
            {
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            }
        }
        return client;
    }

    public override async ValueTask DisposeAsync()
    {
        try
        {
            await base.DisposeAsync();
        }
        finally
        {
            _ownedDataDir?.Dispose();
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _ownedDataDir?.Dispose();
        }
    }
}
