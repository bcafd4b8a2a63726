using CsMetrics.Server.Integrations;

// In the Hosting namespace, next to AddCsMetricsServer which calls it.
namespace CsMetrics.Server.Hosting;

public static class IntegrationsSetup
{
    /// <summary>The integrations' settings and services (docs/integrations.md).</summary>
    public static IServiceCollection AddCsMetricsIntegrations(this IServiceCollection services)
    {
        services.AddOptions<IntegrationsOptions>().BindConfiguration(IntegrationsOptions.Section);
        services.AddTransient<SegmentDependencies>();
        return services;
    }
}
