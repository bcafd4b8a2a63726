using CsMetrics.Grains;
using CsMetrics.Server.Auth;
using CsMetrics.Server.Live;
using Microsoft.AspNetCore.Authentication;

namespace CsMetrics.Server.Hosting;

/// <summary>
/// The dashboard's files: <c>wwwroot</c> under the working directory when run from the project
/// (<c>dotnet run</c>), else the copy next to the dll, so the server works from any folder.
/// </summary>
public static class HostPaths
{
    public static WebApplicationOptions Options(string[] args)
    {
        string? webRoot = null;
        if (Environment.GetEnvironmentVariable("ASPNETCORE_WEBROOT") is null
            && !Directory.Exists(Path.Combine(Directory.GetCurrentDirectory(), "wwwroot"))
            && Directory.Exists(Path.Combine(AppContext.BaseDirectory, "wwwroot")))
        {
            webRoot = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        }
        return new WebApplicationOptions { Args = args, WebRootPath = webRoot };
    }
}

/// <summary><c>--demo</c> is a bare switch, which the command-line configuration provider cannot read.</summary>
public static class DemoSwitch
{
    public static string[] Extract(string[] args) =>
        args.Contains("--demo") ? [.. args.Where(a => a != "--demo"), "--CsMetrics:Demo=true"] : args;
}

/// <summary>Wires the host: configuration, the co-hosted silo, keys, problem details, OpenAPI.</summary>
public static class ServerSetup
{
    public static WebApplicationBuilder AddCsMetricsServer(this WebApplicationBuilder builder)
    {
        // CSMETRICS_DATA_DIR, CSMETRICS_API_KEYS, … map onto the "CsMetrics" section.
        builder.Configuration.AddInMemoryCollection(EnvironmentAliases(builder.Configuration));
        builder.Services.AddOptions<CsMetricsOptions>().BindConfiguration(CsMetricsOptions.Section);
        var options = builder.Configuration.GetSection(CsMetricsOptions.Section).Get<CsMetricsOptions>() ?? new CsMetricsOptions();
        string dataDir = Path.GetFullPath(options.DataDir);

        builder.UseOrleans(silo => ClusterSetup.ConfigureSilo(silo, options, dataDir));
        // The log replay runs after the silo's start, alongside the web server's (IngestStartService).
        builder.Services.AddSingleton(typeof(Grains.Ingest.IngestStartMode), Grains.Ingest.IngestStartMode.AfterHost);
        builder.Services.AddHostedService<IngestStartService>();
        builder.Services.AddHostedService<ShutdownWatchdog>();
        // Orleans' placement runs through Polly, which logs every attempt at Information.
        builder.Logging.AddFilter("Polly", LogLevel.Warning);

        builder.Services.AddSingleton<ApiKeyStore>();
        builder.Services.AddSingleton<HubConnections>();
        builder.Services.AddSingleton<SubscriberOutboxes>();
        builder.Services.AddSingleton<HubConnectionRegistry>();
        builder.Services.AddSingleton<Microsoft.AspNetCore.SignalR.HubLifetimeManager<WatchlistHub>, RegisteringHubLifetimeManager>();
        builder.Services.AddSingleton<ApiKeySync>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ApiKeySync>());
        builder.Services.AddCsMetricsRateLimits(builder.Configuration);
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorization(Policies.Add);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<IngestRefusedHandler>();
        builder.Services.AddCsMetricsIntegrations();
        builder.Services.AddCsMetricsPlaybooks();
        builder.Services.AddOpenApi();
        builder.Services.AddSignalR(o =>
        {
            o.MaximumReceiveMessageSize = 32 * 1024;
            // A slow client's buffer is bounded, so it cannot hold the others back.
            o.MaximumParallelInvocationsPerClient = 1;
        });
        builder.Services.AddHostedService<Demo.DemoStreamer>();
        builder.Services.AddSingleton<WatchlistHubBridge>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<WatchlistHubBridge>());
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never;
        });
        Observability.ObservabilitySetup.AddCsMetricsObservability(builder);
        builder.AddCsMetricsRedisStreamFeed();
        return builder;
    }

    public static WebApplication UseCsMetricsPipeline(this WebApplication app)
    {
        // A malformed query or body is the client's error (400), never a 500 — also in Development.
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = ex => ex is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
        });
        app.UseStatusCodePages();
        app.UseSecurityHeaders();
        app.UseStartingGate();
        app.UseDefaultFiles();
        // Revalidate on every load (a 304 mostly): after an upgrade no browser mixes old and new modules.
        app.UseStaticFiles(new StaticFileOptions { OnPrepareResponse = ctx => ctx.Context.Response.Headers.CacheControl = "no-cache" });
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
        app.UseKnownRequestCharsets();
        // Resolve the key store at start so a generated key is created (and its place logged) at once.
        app.Services.GetRequiredService<ApiKeyStore>();
        app.MapOpenApi().RequireAuthorization(Policies.Read);
        app.MapHub<WatchlistHub>(WatchlistHub.Path, o =>
        {
            // Bounded per-connection send buffer: one slow client cannot hurt the others.
            o.TransportMaxBufferSize = 256 * 1024;
            o.ApplicationMaxBufferSize = 64 * 1024;
        });
        Observability.ObservabilitySetup.MapCsMetricsMetrics(app);
        return app;
    }

    /// <summary>The documented CSMETRICS_* variables, as configuration keys.</summary>
    private static Dictionary<string, string?> EnvironmentAliases(IConfiguration config)
    {
        var map = new Dictionary<string, string?>();
        void Alias(string env, string key)
        {
            string? v = Environment.GetEnvironmentVariable(env);
            if (!string.IsNullOrEmpty(v) && string.IsNullOrEmpty(config[key]))
            {
                map[key] = v;
            }
        }
        Alias("CSMETRICS_DATA_DIR", "CsMetrics:DataDir");
        Alias("CSMETRICS_API_KEYS", "CsMetrics:ApiKeys");
        Alias("CSMETRICS_SILO_PORT", "CsMetrics:SiloPort");
        Alias("CSMETRICS_GATEWAY_PORT", "CsMetrics:GatewayPort");
        Alias("CSMETRICS_SCORECARD", "CsMetrics:Scorecard:Path");
        Alias("CSMETRICS_PRIMARY_SILO_PORT", "CsMetrics:PrimarySiloPort");
        Alias("CSMETRICS_SWEEP_INTERVAL", "CsMetrics:Sweep:Interval");
        Alias("CSMETRICS_ZENDESK_SECRET", "CsMetrics:Integrations:ZendeskSecret");
        Alias("CSMETRICS_REDIS", "CsMetrics:Redis");
        Alias("CSMETRICS_NODE_NAME", "CsMetrics:NodeName");
        Alias("CSMETRICS_CLUSTER_ID", "CsMetrics:ClusterId");
        Alias("CSMETRICS_ADVERTISED_IP", "CsMetrics:AdvertisedIp");
        Alias("CSMETRICS_CHECKPOINT_INTERVAL", "CsMetrics:Checkpoint:Interval");
        return map;
    }
}
