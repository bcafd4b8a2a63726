using CsMetrics.Grains.Accounts;
using CsMetrics.Grains.Checkpoints;
using CsMetrics.Grains.Ingest;
using CsMetrics.Grains.Scorecards;
using CsMetrics.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Hosting;

namespace CsMetrics.Grains;

/// <summary>Everything a CsMetrics silo needs besides clustering: storage, the ingest log, scoring.</summary>
public static class SiloSetup
{
    /// <summary>Embedded mode: grain state and the ingest log in SQLite files under <paramref name="dataDir"/>.</summary>
    public static ISiloBuilder AddCsMetricsEmbedded(this ISiloBuilder silo, string dataDir, string logFileName = "ingest-log.db")
    {
        Directory.CreateDirectory(dataDir);
        silo.AddSqliteGrainStorage(StorageNames.Accounts, Path.Combine(dataDir, "state.db"));
        silo.AddSqliteGrainStorage(StorageNames.Index, Path.Combine(dataDir, "state.db"));
        silo.Services.AddSingleton<IIngestLog>(_ => new SqliteIngestLog(Path.Combine(dataDir, logFileName)));
        // Orleans' binary format for our own state types: compact, and tolerant of added fields.
        silo.Services.AddKeyedSingleton<Orleans.Storage.IGrainStorageSerializer, Orleans.Storage.OrleansGrainStorageSerializer>(StorageNames.Accounts);
        silo.Services.AddKeyedSingleton<Orleans.Storage.IGrainStorageSerializer, Orleans.Storage.OrleansGrainStorageSerializer>(StorageNames.Index);
        return silo.AddCsMetricsCore();
    }

    /// <summary>
    /// Cluster mode: grain state in Redis (the Orleans Redis provider), the ingest log a Redis
    /// stream named <paramref name="logName"/> (unique per node start), orphaned logs of dead
    /// nodes replayed (<see cref="OrphanLogAdopter"/>). Clustering itself is the host's choice.
    /// </summary>
    public static ISiloBuilder AddCsMetricsCluster(this ISiloBuilder silo, string redisConfiguration, string logName)
    {
        var redisOptions = StackExchange.Redis.ConfigurationOptions.Parse(redisConfiguration);
        foreach (string name in new[] { StorageNames.Accounts, StorageNames.Index })
        {
            silo.AddRedisGrainStorage(name, o => o.Configure<IServiceProvider>((storage, sp) =>
            {
                storage.ConfigurationOptions = redisOptions.Clone();
                // Orleans' binary format for our own state types: compact, and tolerant of added fields.
                storage.GrainStorageSerializer = ActivatorUtilities.CreateInstance<Orleans.Storage.OrleansGrainStorageSerializer>(sp);
            }));
        }
        silo.Services.AddSingleton<StackExchange.Redis.IConnectionMultiplexer>(_ => StackExchange.Redis.ConnectionMultiplexer.Connect(redisOptions.Clone()));
        silo.Services.AddSingleton<IIngestLog>(sp => new RedisIngestLog(sp.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>(), logName));
        silo.Services.AddOptions<ClusterLogOptions>().BindConfiguration(ClusterLogOptions.Section);
        silo.Services.AddSingleton<OrphanLogAdopter>();
        return silo.AddCsMetricsCore();
    }

    /// <summary>The services every mode shares. The ingest log and storage come from the mode.</summary>
    public static ISiloBuilder AddCsMetricsCore(this ISiloBuilder silo)
    {
        var services = silo.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<ScorecardOptions>().BindConfiguration(ScorecardOptions.Section);
        services.AddOptions<CheckpointOptions>().BindConfiguration(CheckpointOptions.Section);
        services.AddOptions<HistoryOptions>().BindConfiguration(HistoryOptions.Section);
        services.AddOptions<MetricsPublishOptions>().BindConfiguration(MetricsPublishOptions.Section);
        services.AddOptions<Calibration.CalibrationOptions>().BindConfiguration(Calibration.CalibrationOptions.Section);
        services.AddOptions<Sweeps.SweepOptions>().BindConfiguration(Sweeps.SweepOptions.Section);
        services.AddOptions<MemoryOptions>().BindConfiguration(MemoryOptions.Section);
        services.AddOptions<Orleans.Configuration.GrainCollectionOptions>()
            .Configure<IOptions<MemoryOptions>>((collection, memory) => memory.Value.ApplyTo(collection));
        services.AddSingleton<MemoryPressureTrigger>();
        services.AddHostedService(sp => sp.GetRequiredService<MemoryPressureTrigger>());
        services.AddSingleton<Sweeps.SilenceSweeper>();
        services.AddSingleton<ScorecardRescorer>();
        services.AddSingleton<Metrics.MetricsRebuilder>();
        services.AddSingleton<Metrics.MetricsPublishQueue>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<Metrics.MetricsPublishQueue>());
        services.TryAddSingleton<ScorecardRegistry>();
        services.AddSingleton<DirtyAccounts>();
        services.AddSingleton<DirtyCommentMonths>();
        services.AddSingleton<Calibration.CalibrationGatherer>();
        services.AddSingleton<AppliedWatermark>();
        services.AddSingleton<IngestReadiness>();
        services.AddSingleton<IngestAdmission>();
        services.AddSingleton<SignalIngestor>();
        services.AddSingleton<Checkpointer>();
        services.AddSingleton<IngestLifecycle>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<IngestLifecycle>());
        return silo;
    }
}
