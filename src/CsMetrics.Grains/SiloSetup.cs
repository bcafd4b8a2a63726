using CsMetrics.Grains.Accounts;
using CsMetrics.Grains.Checkpoints;
using CsMetrics.Grains.Ingest;
using CsMetrics.Grains.Scorecards;
using CsMetrics.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

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

    /// <summary>The services every mode shares. The ingest log and storage come from the mode.</summary>
    public static ISiloBuilder AddCsMetricsCore(this ISiloBuilder silo)
    {
        var services = silo.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<ScorecardOptions>().BindConfiguration(ScorecardOptions.Section);
        services.AddOptions<CheckpointOptions>().BindConfiguration(CheckpointOptions.Section);
        services.AddOptions<HistoryOptions>().BindConfiguration(HistoryOptions.Section);
        services.AddOptions<Calibration.CalibrationOptions>().BindConfiguration(Calibration.CalibrationOptions.Section);
        services.AddOptions<Sweeps.SweepOptions>().BindConfiguration(Sweeps.SweepOptions.Section);
        services.AddSingleton<Sweeps.SilenceSweeper>();
        services.AddSingleton<ScorecardRescorer>();
        services.TryAddSingleton<ScorecardRegistry>();
        services.AddSingleton<DirtyAccounts>();
        services.AddSingleton<DirtyCommentMonths>();
        services.AddSingleton<Calibration.CalibrationGatherer>();
        services.AddSingleton<AppliedWatermark>();
        services.AddSingleton<IngestReadiness>();
        services.AddSingleton<SignalIngestor>();
        services.AddSingleton<Checkpointer>();
        services.AddSingleton<IngestLifecycle>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<IngestLifecycle>());
        return silo;
    }
}
