using CsMetrics.Server.Auth;
using CsMetrics.Server.Integrations;

// In the Hosting namespace, next to the other Map*Api extensions Program.cs calls.
namespace CsMetrics.Server.Hosting;

/// <summary>Signals from third-party tools with no glue code: docs/integrations.md.</summary>
public static class IntegrationsApi
{
    public static IEndpointRouteBuilder MapIntegrationsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/integrations").WithTags("Integrations");

        // Segment: authenticated in the handler (Basic auth with the write key), so no policy here.
        group.MapPost("/segment", (HttpContext http, [Microsoft.AspNetCore.Mvc.FromServices] SegmentDependencies d, CancellationToken ct) =>
                SegmentIntegration.HandleAsync(http, null, d.Keys, d.Ingestor, d.Grains, d.Options, d.Time, ct))
            .AllowAnonymous()
            .WithSummary("Segment HTTP Tracking API call (track, identify, group) or {\"batch\":[…]}; Basic auth with an ingest key as the write key.");
        group.MapPost("/segment/batch", (HttpContext http, [Microsoft.AspNetCore.Mvc.FromServices] SegmentDependencies d, CancellationToken ct) =>
                SegmentIntegration.HandleAsync(http, "batch", d.Keys, d.Ingestor, d.Grains, d.Options, d.Time, ct))
            .AllowAnonymous()
            .WithSummary("Segment batch: {\"batch\":[…]} of track, identify and group calls.");
        group.MapPost("/segment/v1/{call}", (string call, HttpContext http, [Microsoft.AspNetCore.Mvc.FromServices] SegmentDependencies d, CancellationToken ct) =>
                SegmentIntegration.HandleAsync(http, call, d.Keys, d.Ingestor, d.Grains, d.Options, d.Time, ct))
            .AllowAnonymous()
            .WithSummary("Segment SDK paths (/v1/track, /v1/identify, /v1/group, /v1/batch) under this host.");

        group.MapPost("/zendesk", ZendeskIntegration.HandleAsync)
            .AllowAnonymous()
            .WithSummary("Zendesk ticket webhook, verified by X-Zendesk-Webhook-Signature.");

        group.MapPost("/tickets", GenericWebhooks.TicketsAsync)
            .RequireAuthorization(Policies.Ingest)
            .WithSummary("A flat ticket event (or an array of them) from any help desk.");
        group.MapPost("/surveys", GenericWebhooks.SurveysAsync)
            .RequireAuthorization(Policies.Ingest)
            .WithSummary("A flat survey response (or an array of them) from any survey tool.");
        return app;
    }
}

/// <summary>The services the Segment endpoints need, resolved together.</summary>
public sealed class SegmentDependencies(
    ApiKeyStore keys,
    CsMetrics.Grains.Ingest.SignalIngestor ingestor,
    IGrainFactory grains,
    Microsoft.Extensions.Options.IOptions<CsMetrics.Server.Hosting.CsMetricsOptions> options,
    TimeProvider time)
{
    public ApiKeyStore Keys { get; } = keys;
    public CsMetrics.Grains.Ingest.SignalIngestor Ingestor { get; } = ingestor;
    public IGrainFactory Grains { get; } = grains;
    public Microsoft.Extensions.Options.IOptions<CsMetrics.Server.Hosting.CsMetricsOptions> Options { get; } = options;
    public TimeProvider Time { get; } = time;
}
