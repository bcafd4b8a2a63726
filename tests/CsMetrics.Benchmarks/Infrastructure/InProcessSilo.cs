using CsMetrics.Grains;
using CsMetrics.Grains.Accounts;
using CsMetrics.Grains.Ingest;
using CsMetrics.Grains.Scorecards;
using CsMetrics.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CsMetrics.Benchmarks.Infrastructure;

/// <summary>
/// A silo in the benchmark process with the embedded mode's real storage (SQLite ingest log and
/// state under a temp directory, checkpoints in the background), reached without HTTP.
/// </summary>
public static class InProcessSilo
{
    public static async Task<IHost> StartAsync(string dataDir)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(FreePorts.Next(), FreePorts.Next());
            silo.AddCsMetricsEmbedded(dataDir);
            silo.Services.PostConfigure<ScorecardOptions>(o => o.Path = DefaultScorecardPath);
        });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>
    /// A silo that keeps grain state in memory (the ingest log stays SQLite under
    /// <paramref name="dataDir"/>): for single measurements where storage is not what is measured.
    /// </summary>
    public static async Task<IHost> StartInMemoryAsync(string dataDir, Action<ISiloBuilder>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(FreePorts.Next(), FreePorts.Next());
            silo.AddMemoryGrainStorage(StorageNames.Accounts);
            silo.AddMemoryGrainStorage(StorageNames.Index);
            silo.Services.AddSingleton<IIngestLog>(_ => new SqliteIngestLog(Path.Combine(dataDir, "log.db")));
            silo.AddCsMetricsCore();
            configure?.Invoke(silo);
        });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>The default scorecard, copied next to the benchmark.</summary>
    public static string DefaultScorecardPath => Path.Combine(AppContext.BaseDirectory, "config", "scorecard.default.json");
}
