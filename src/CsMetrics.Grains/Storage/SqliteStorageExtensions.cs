using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Providers;
using Orleans.Runtime.Hosting;
using Orleans.Storage;

namespace CsMetrics.Grains.Storage;

/// <summary>Registration helpers for <see cref="SqliteGrainStorage"/>.</summary>
public static class SqliteStorageExtensions
{
    /// <summary>Adds a named SQLite grain storage provider backed by <paramref name="databasePath"/>.</summary>
    public static ISiloBuilder AddSqliteGrainStorage(
        this ISiloBuilder builder,
        string name,
        string databasePath,
        Action<SqliteGrainStorageOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSqliteGrainStorage(name, databasePath, configure);
        return builder;
    }

    /// <summary>Adds the SQLite grain storage as the default provider.</summary>
    public static ISiloBuilder AddSqliteGrainStorageAsDefault(
        this ISiloBuilder builder,
        string databasePath,
        Action<SqliteGrainStorageOptions>? configure = null)
        => builder.AddSqliteGrainStorage(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, databasePath, configure);

    /// <summary>Adds a named SQLite grain storage provider backed by <paramref name="databasePath"/>.</summary>
    public static IServiceCollection AddSqliteGrainStorage(
        this IServiceCollection services,
        string name,
        string databasePath,
        Action<SqliteGrainStorageOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(databasePath);

        services.AddOptions<SqliteGrainStorageOptions>(name).Configure(options =>
        {
            options.DatabasePath = databasePath;
            configure?.Invoke(options);
        });
        services.ConfigureNamedOptionForLogging<SqliteGrainStorageOptions>(name);
        // Same hook the built-in providers use: fills GrainStorageSerializer from DI (keyed by name, else the silo default).
        services.AddTransient<IPostConfigureOptions<SqliteGrainStorageOptions>, DefaultStorageProviderSerializerOptionsConfigurator<SqliteGrainStorageOptions>>();
        return services.AddGrainStorage(name, SqliteGrainStorage.Create);
    }
}
