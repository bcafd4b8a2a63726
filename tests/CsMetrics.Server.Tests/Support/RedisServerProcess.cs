using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace CsMetrics.Server.Tests.Support;

/// <summary>
/// A real <c>redis-server</c> on a free loopback port with its own temporary folder, for tests of
/// the cluster mode and the Redis Streams feed. The test command (build.sh test) installs Redis;
/// nothing here is mocked. Disposing kills the server and deletes its folder.
/// </summary>
public sealed class RedisServerProcess : IAsyncDisposable
{
    private readonly System.Diagnostics.Process _process;
    private readonly string _directory;

    private RedisServerProcess(System.Diagnostics.Process process, int port, string directory)
    {
        _process = process;
        Port = port;
        _directory = directory;
    }

    public int Port { get; }

    /// <summary>A StackExchange.Redis configuration string, the value of CSMETRICS_REDIS.</summary>
    public string ConfigurationString => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Starts redis-server with an append-only file fsynced every write, so an acknowledged XADD survives.</summary>
    public static async Task<RedisServerProcess> StartAsync()
    {
        string executable = FindExecutable();
        int port = FreePorts.Next();
        string directory = Directory.CreateTempSubdirectory("csmetrics-redis-").FullName;
        var psi = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (string argument in new[]
        {
            "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--dir", directory, "--save", "", "--appendonly", "yes", "--appendfsync", "always",
            "--protected-mode", "no", "--daemonize", "no",
        })
        {
            psi.ArgumentList.Add(argument);
        }
        var process = System.Diagnostics.Process.Start(psi) ?? throw new InvalidOperationException("redis-server did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new RedisServerProcess(process, port, directory);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with code {process.ExitCode} on port {port}");
            }
            try
            {
                using var socket = new TcpClient();
                await socket.ConnectAsync("127.0.0.1", port);
                return server;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    private static string FindExecutable()
    {
        foreach (string candidate in new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" })
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException("redis-server is not installed: run ./build.sh test, which installs it");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open: the temp folder is cleaned by the OS eventually.
        }
    }
}
