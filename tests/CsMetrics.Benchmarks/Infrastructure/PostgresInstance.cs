using System.Diagnostics;
using System.Globalization;
using CsMetrics.Server.Tests.Support;
using Npgsql;

namespace CsMetrics.Benchmarks.Infrastructure;

/// <summary>
/// A throw-away PostgreSQL server: Debian's postgresql (installed with apt-get if missing),
/// initdb in a temp directory owned by the <c>postgres</c> user (initdb refuses root), started
/// with pg_ctl on a free port, durable settings (fsync, synchronous_commit on). Disposing stops
/// it (immediate mode) and deletes the directory, also after a failure.
/// </summary>
public sealed class PostgresInstance : IAsyncDisposable
{
    private const string BinDirectory = "/usr/lib/postgresql/15/bin";
    private readonly string _dataDir;
    private readonly string _root;
    private bool _started;

    private PostgresInstance(string root, int port)
    {
        _root = root;
        _dataDir = Path.Combine(root, "data");
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=64;No Reset On Close=true";

    public static async Task<PostgresInstance> StartAsync()
    {
        await EnsureInstalledAsync();
        string root = Path.Combine(Path.GetTempPath(), "csm-bench-pg-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        var instance = new PostgresInstance(root, FreePorts.Next());
        try
        {
            bool asRoot = Environment.UserName == "root";
            if (asRoot)
            {
                await RunAsync("chown", "postgres:postgres", root);
            }
            await RunAsPostgresAsync(asRoot, Path.Combine(BinDirectory, "initdb"), "-D", instance._dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-instructions");
            string options = string.Join(' ',
                $"-p {instance.Port}", "-k /tmp", "-c listen_addresses=127.0.0.1",
                "-c fsync=on", "-c synchronous_commit=on", "-c shared_buffers=256MB", "-c max_connections=100");
            instance._started = true;
            await RunAsPostgresAsync(asRoot, Path.Combine(BinDirectory, "pg_ctl"), "-D", instance._dataDir, "-l", Path.Combine(root, "server.log"), "-o", options, "-w", "start");
            return instance;
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }
    }

    public async Task<NpgsqlDataSource> OpenAsync()
    {
        var source = NpgsqlDataSource.Create(ConnectionString);
        await using var probe = await source.OpenConnectionAsync();
        return source;
    }

    private static async Task EnsureInstalledAsync()
    {
        if (File.Exists(Path.Combine(BinDirectory, "initdb")))
        {
            return;
        }
        Console.WriteLine("  installing postgresql with apt-get (as build.sh installs its tools)");
        string sudo = Environment.UserName == "root" ? "" : "sudo ";
        await RunAsync("sh", "-c", $"{sudo}apt-get update -qq && DEBIAN_FRONTEND=noninteractive {sudo}apt-get install -y -qq --no-install-recommends postgresql >/dev/null");
    }

    private static Task RunAsPostgresAsync(bool asRoot, string file, params string[] args) =>
        asRoot ? RunAsync("runuser", ["-u", "postgres", "--", file, .. args]) : RunAsync(file, args);

    private static async Task RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/tmp" };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode.ToString(CultureInfo.InvariantCulture)}): {await stdout}{await stderr}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            try
            {
                await RunAsPostgresAsync(Environment.UserName == "root", Path.Combine(BinDirectory, "pg_ctl"), "-D", _dataDir, "-m", "immediate", "-w", "stop");
            }
            catch (InvalidOperationException ex)
            {
                Console.WriteLine($"  warning: stopping postgres: {ex.Message}");
            }
        }
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
