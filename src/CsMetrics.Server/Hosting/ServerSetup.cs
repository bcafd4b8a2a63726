using CsMetrics.Grains;
using CsMetrics.Server.Auth;
using Microsoft.AspNetCore.Authentication;

namespace CsMetrics.Server.Hosting;

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

        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort);
            silo.AddCsMetricsEmbedded(dataDir);
        });

        builder.Services.AddSingleton<ApiKeyStore>();
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorization(Policies.Add);
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi();
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never;
        });
        return builder;
    }

    public static WebApplication UseCsMetricsPipeline(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        // Resolve the key store at start so a generated key is created (and its place logged) at once.
        app.Services.GetRequiredService<ApiKeyStore>();
        app.MapOpenApi().RequireAuthorization(Policies.Read);
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
        return map;
    }
}
