using CsMetrics.Server.Hosting;

// The whole product in one process: the Orleans silo, the HTTP API and the hub and the
// dashboard. Configuration: README.md "Configuration" (CSMETRICS_* variables, --urls).
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
api.MapCalibrationApi();
api.MapVocApi();
api.MapWatchlistsApi();
api.MapPlaybooksApi();
api.MapAlertsApi();
api.MapKeysApi();
api.MapIntegrationsApi();
api.MapMetricsApi();
if (app.Configuration.GetSection(CsMetricsOptions.Section).Get<CsMetricsOptions>()?.Benchmark.CeilingEndpoint == true)
{
    api.MapSignalsCeilingApi();
}

app.Run();

/// <summary>Visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
