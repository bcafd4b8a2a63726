using CsMetrics.Grains.Telemetry;
using CsMetrics.Server.Auth;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace CsMetrics.Server.Observability;

/// <summary>Settings under <c>CsMetrics:Metrics</c>.</summary>
public sealed class MetricsOptions
{
    public const string Section = "CsMetrics:Metrics";

    /// <summary>
    /// When true, <c>/metrics</c> needs a read (or admin) key like the API. Default false: the
    /// endpoint is for infrastructure, like <c>/healthz</c>, and must then not be exposed publicly
    /// (scrape it on the pod/internal network; keep it off the public ingress). docs: deploy/README.md.
    /// </summary>
    public bool RequireKey { get; set; }
}

/// <summary>
/// OpenTelemetry for the host: metrics from the "CsMetrics" meter, Orleans ("Microsoft.Orleans"),
/// ASP.NET Core and the .NET runtime, served in Prometheus text format at <c>/metrics</c>; traces
/// and metrics also go out over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the other
/// standard OTEL_* variables — headers, protocol, OTEL_SERVICE_NAME — apply as usual).
/// </summary>
public static class ObservabilitySetup
{
    public const string MetricsPath = "/metrics";

    public const string OrleansMeter = "Microsoft.Orleans";

    public static WebApplicationBuilder AddCsMetricsObservability(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section);
        builder.Services.AddHostedService<IngestLogGauges>();
        bool otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(
                serviceName: "csmetrics",
                serviceInstanceId: Environment.GetEnvironmentVariable("POD_NAME") ?? Environment.MachineName))
            .WithMetrics(metrics =>
            {
                metrics
                    .AddMeter(CsMetricsTelemetry.Name, OrleansMeter)
                    .AddAspNetCoreInstrumentation()
                    .AddRuntimeInstrumentation()
                    // Every scrape sees the current values (scrapes are rare; no response cache needed).
                    .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            });
        if (otlp)
        {
            // Traces only leave the process over OTLP, so without an endpoint none are recorded.
            otel.WithTracing(tracing => tracing
                .AddSource(CsMetricsTelemetry.Name)
                .AddAspNetCoreInstrumentation(o => o.Filter = ctx => !IsInfrastructurePath(ctx.Request.Path))
                .AddOtlpExporter());
        }
        return builder;
    }

    /// <summary>
    /// Maps <c>/metrics</c> (Prometheus text format). Anonymous unless
    /// <c>CsMetrics:Metrics:RequireKey</c> is true, then a read or admin key is needed.
    /// </summary>
    public static IEndpointRouteBuilder MapCsMetricsMetrics(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<IConfiguration>().GetSection(MetricsOptions.Section).Get<MetricsOptions>() ?? new MetricsOptions();
        var endpoint = app.MapPrometheusScrapingEndpoint(MetricsPath);
        if (options.RequireKey)
        {
            endpoint.RequireAuthorization(Policies.Read);
        }
        else
        {
            endpoint.AllowAnonymous();
        }
        return app;
    }

    /// <summary>The probes and the metrics scrape: no traces, and open while a node starts (StartingGate).</summary>
    internal static bool IsInfrastructurePath(PathString path) =>
        path.StartsWithSegments(MetricsPath) || path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz");
}
