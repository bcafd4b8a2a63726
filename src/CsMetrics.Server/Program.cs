using CsMetrics.Server.Hosting;

// The whole product in one process: the Orleans silo, the HTTP API and (later) the hub and the
// dashboard. Configuration: docs/configuration.md (CSMETRICS_* variables, --urls, appsettings).
var builder = WebApplication.CreateBuilder(HostPaths.Options(DemoSwitch.Extract(args)));

builder.AddCsMetricsServer();

var app = builder.Build();

app.UseCsMetricsPipeline();
app.MapHealthApi();

// Every API route shares the per-key request budget.
var api = app.MapGroup("").RequireRateLimiting(RateLimits.Policy);
api.MapSignalsApi();
api.MapAccountsApi();
api.MapAccountTimeApi();
api.MapScorecardApi();
api.MapWatchlistsApi();
api.MapPlaybooksApi();
api.MapKeysApi();
api.MapIntegrationsApi();
if (app.Configuration.GetSection(CsMetricsOptions.Section).Get<CsMetricsOptions>()?.Benchmark.CeilingEndpoint == true)
{
    api.MapSignalsCeilingApi();
}

app.Run();

/// <summary>Visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
