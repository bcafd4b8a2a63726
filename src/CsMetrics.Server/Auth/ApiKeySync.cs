using CsMetrics.Contracts.Keys;
using CsMetrics.Grains.Ingest;
using CsMetrics.Server.Live;

namespace CsMetrics.Server.Auth;

/// <summary>
/// Keeps this node's cache of API-managed keys in step with the registry grain: right after a
/// change made on this node, and every two seconds for changes made on others. A key that
/// disappears is revoked at once: its open hub connections are closed.
/// </summary>
public sealed class ApiKeySync(
    IGrainFactory grains,
    ApiKeyStore store,
    HubConnections connections,
    IngestReadiness readiness,
    TimeProvider time,
    ILogger<ApiKeySync> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    public async Task RefreshAsync()
    {
        var keys = await grains.GetGrain<IApiKeyRegistry>(0).GetAll();
        foreach (var revoked in store.UseManaged(keys))
        {
            int closed = connections.CloseAllOf(revoked);
            logger.LogInformation("API key {KeyId} revoked; closed {Connections} hub connections", revoked, closed);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (readiness.IsReady)
                {
                    await RefreshAsync();
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Refreshing API keys failed; keeping the cached ones");
            }
            try
            {
                await Task.Delay(readiness.IsReady ? Interval : TimeSpan.FromMilliseconds(200), time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }
}
