using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using CsMetrics.Server.Tests.Support;

namespace CsMetrics.Benchmarks.Infrastructure;

/// <summary>
/// The real server as its own OS process (<c>dotnet CsMetrics.Server.dll</c>, the dll built next
/// to the benchmark), configured through its documented variables, so HTTP, SignalR and kill -9
/// are measured as deployed. Its output is kept for the report of a failure; disposing kills it.
/// </summary>
public sealed class BenchServer : IAsyncDisposable
{
    public const string Key = "bench-admin-key";
    private readonly Process _process;
    private readonly Queue<string> _tail = new();

    private BenchServer(Process process, Uri baseAddress, string dataDir)
    {
        _process = process;
        BaseAddress = baseAddress;
        DataDir = dataDir;
    }

    public Uri BaseAddress { get; }

    public string DataDir { get; }

    public int ProcessId => _process.Id;

    /// <summary>Starts the server on <paramref name="dataDir"/> and waits for /readyz; the elapsed time until then is returned in <paramref name="readyAfter"/>.</summary>
    public static async Task<(BenchServer Server, TimeSpan ReadyAfter)> StartAsync(string dataDir, IDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "CsMetrics.Server.dll");
        var baseAddress = new Uri($"http://127.0.0.1:{FreePorts.Next()}");
        var psi = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("exec");
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add(baseAddress.ToString().TrimEnd('/'));
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("CSMETRICS_", StringComparison.OrdinalIgnoreCase) || k.StartsWith("CsMetrics__", StringComparison.OrdinalIgnoreCase) || k.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)).ToArray())
        {
            psi.Environment.Remove(key);
        }
        psi.Environment["CSMETRICS_DATA_DIR"] = dataDir;
        psi.Environment["CSMETRICS_API_KEYS"] = Key + ":admin";
        psi.Environment["CSMETRICS_SILO_PORT"] = FreePorts.Next().ToString(CultureInfo.InvariantCulture);
        psi.Environment["CSMETRICS_GATEWAY_PORT"] = FreePorts.Next().ToString(CultureInfo.InvariantCulture);
        // The load generator is one client with one key: the per-key budget would measure the limiter.
        psi.Environment["CsMetrics__RateLimit__RequestsPerSecond"] = "0";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        var process = new Process { StartInfo = psi };
        var server = new BenchServer(process, baseAddress, dataDir);
        process.OutputDataReceived += (_, e) => server.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => server.Keep(e.Data);
        var started = Stopwatch.StartNew();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitUntilReadyAsync(timeout ?? TimeSpan.FromSeconds(120));
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return (server, started.Elapsed);
    }

    public HttpClient Client()
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = BaseAddress,
            Timeout = TimeSpan.FromSeconds(120),
        };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        return client;
    }

    public string Output
    {
        get
        {
            lock (_tail)
            {
                return string.Join('\n', _tail);
            }
        }
    }

    private async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The server exited with code {_process.ExitCode}:\n{Output}");
            }
            try
            {
                using var response = await client.GetAsync("/readyz");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(20);
        }
        throw new TimeoutException($"The server was not ready within {timeout.TotalSeconds} s:\n{Output}");
    }

    /// <summary>kill -9: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync();
    }

    /// <summary>CPU time the server process has used so far (user and system, all its threads).</summary>
    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    /// <summary>The server's resident set, read from /proc (the process is not ours to call GC in).</summary>
    public long WorkingSetBytes()
    {
        _process.Refresh();
        return _process.WorkingSet64;
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_tail)
        {
            _tail.Enqueue(line);
            if (_tail.Count > 40)
            {
                _tail.Dequeue();
            }
        }
    }

    private static string DotnetHost()
    {
        string? current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
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
            // Never started or already gone.
        }
        _process.Dispose();
    }
}
