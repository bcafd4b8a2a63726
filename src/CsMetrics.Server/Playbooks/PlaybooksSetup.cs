using CsMetrics.Grains.Playbooks;
using CsMetrics.Server.Playbooks;

// In the Hosting namespace, next to AddCsMetricsServer which calls it.
namespace CsMetrics.Server.Hosting;

public static class PlaybooksSetup
{
    /// <summary>Playbook delivery (docs/playbooks.md): options, the outbound HTTP client, the silo-side queue.</summary>
    public static IServiceCollection AddCsMetricsPlaybooks(this IServiceCollection services)
    {
        services.AddOptions<PlaybookDeliveryOptions>().BindConfiguration(PlaybookDeliveryOptions.Section);
        services.AddHttpClient(PlaybookDeliveryService.ClientName, c =>
        {
            // Each attempt has its own time limit (PlaybookDeliveryOptions.AttemptTimeout).
            c.Timeout = Timeout.InfiniteTimeSpan;
            c.DefaultRequestHeaders.UserAgent.ParseAdd("CsMetrics-Playbooks/1");
        }).ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        services.AddSingleton<PlaybookDeliveryService>();
        services.AddSingleton<IPlaybookDeliveryQueue>(sp => sp.GetRequiredService<PlaybookDeliveryService>());
        return services;
    }
}
