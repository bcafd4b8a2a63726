using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using CsMetrics.Server.Tests.Support;

namespace CsMetrics.Server.Tests.Process;

/// <summary>
/// The real server as a separate OS process: <c>dotnet CsMetrics.Server.dll --urls …</c>, configured
/// only through its documented CSMETRICS_* variables, with stdout/stderr captured.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly System.Diagnostics.Process _process;
    private readonly StringBuilder _output = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private ServerProcess(System.Diagnostics.Process process, Uri baseAddress, string name)
    {
        _process = process;
        BaseAddress = baseAddress;
        Name = name;
    }

    /// <summary>The server assembly: the test project references the server project, so it sits next to the tests.</summary>
    public static string ServerDll => Path.Combine(AppContext.BaseDirectory, "CsMetrics.Server.dll");

    public string Name { get; }

    public Uri BaseAddress { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>When <see cref="KillAsync"/> saw the process gone (UTC); MaxValue before.</summary>
    public DateTime ExitedAt { get; private set; } = DateTime.MaxValue;

    public int ExitCode => _process.ExitCode;

    /// <summary>Everything the process wrote so far, stdout and stderr interleaved.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// Waits until the output contains <paramref name="text"/>, then asserts it. The console logger
    /// writes asynchronously: a line logged just before the node turned ready may follow it.
    /// </summary>
    public Task AssertOutputContainsAsync(string text) =>
        Security.Waiting.UntilAsync(() => Task.FromResult(Output.Contains(text, StringComparison.Ordinal)));

    /// <summary>Starts the server on <paramref name="dataDir"/> with fresh HTTP and Orleans ports and waits until /healthz answers 200.</summary>
    public static async Task<ServerProcess> StartAsync(string name, string dataDir, string apiKeys, IDictionary<string, string>? environment = null, bool waitUntilHealthy = true)
    {
        Assert.True(File.Exists(ServerDll), $"{ServerDll} not found: the server is built next to the tests");
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "config", "scorecard.default.json")), "the default scorecard is copied next to the server");

        int httpPort = FreePorts.Next();
        var baseAddress = new Uri($"http://127.0.0.1:{httpPort}");
        var psi = new ProcessStartInfo(DotnetHost())
        {
            // Run from the server's folder, as a deployment would; the data goes to CSMETRICS_DATA_DIR.
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("exec");
        psi.ArgumentList.Add(ServerDll);
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add(baseAddress.ToString().TrimEnd('/'));

        foreach (var key in psi.Environment.Keys.ToArray())
        {
            // Nothing from the test runner's environment may configure the server.
            if (key.StartsWith("CSMETRICS_", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("CsMetrics__", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
                || key is "DOTNET_ENVIRONMENT" or "DOTNET_URLS")
            {
                psi.Environment.Remove(key);
            }
        }
        psi.Environment["CSMETRICS_DATA_DIR"] = dataDir;
        psi.Environment["CSMETRICS_API_KEYS"] = apiKeys;
        psi.Environment["CSMETRICS_SILO_PORT"] = FreePorts.Next().ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["CSMETRICS_GATEWAY_PORT"] = FreePorts.Next().ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["CsMetrics__Metrics__PublishWindow"] = "00:00:00"; // tests read the portfolio right after ingest
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
            {
                psi.Environment[k] = v;
            }
        }

        var process = new System.Diagnostics.Process { StartInfo = psi, EnableRaisingEvents = true };
        var server = new ServerProcess(process, baseAddress, name);
        process.OutputDataReceived += (_, e) => server.Append("out", e.Data);
        process.ErrorDataReceived += (_, e) => server.Append("err", e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException("Could not start the server process.");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        server.Append("test", $"started pid {process.Id}: {psi.FileName} {string.Join(' ', psi.ArgumentList)}");

        try
        {
            if (waitUntilHealthy)
            {
                await server.WaitUntilHealthyAsync();
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    public HttpClient Client(string? key)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = Timeout };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        return client;
    }

    private async Task WaitUntilHealthyAsync()
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + Timeout;
        string last = "no answer yet";
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} before /healthz answered.");
            }
            try
            {
                using var response = await client.GetAsync("/healthz");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    Append("test", $"healthy after {_clock.Elapsed.TotalSeconds:0.0} s");
                    return;
                }
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            }
            catch (HttpRequestException ex)
            {
                last = ex.Message;
            }
            catch (TaskCanceledException)
            {
                last = "timed out";
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"{Name} did not answer /healthz with 200 within {Timeout.TotalSeconds} s (last: {last}).");
    }

    /// <summary>SIGTERM (what a service manager or <c>docker stop</c> sends), then waits for a clean exit.</summary>
    public async Task StopGracefullyAsync()
    {
        Append("test", "sending SIGTERM");
        using (var kill = System.Diagnostics.Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!)
        {
            await kill.WaitForExitAsync();
            Assert.Equal(0, kill.ExitCode);
        }
        await WaitForExitAsync();
        Append("test", $"exited with code {_process.ExitCode}");
    }

    /// <summary>SIGKILL: no shutdown code runs at all.</summary>
    public async Task KillAsync()
    {
        Append("test", "sending SIGKILL");
        _process.Kill(entireProcessTree: false);
        await WaitForExitAsync();
        ExitedAt = DateTime.UtcNow;
    }

    private async Task WaitForExitAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name} did not exit within {Timeout.TotalSeconds} s.");
        }
    }

    private void Append(string stream, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.Append('[').Append(_clock.Elapsed.TotalSeconds.ToString("000.000", System.Globalization.CultureInfo.InvariantCulture)).Append(' ').Append(stream).Append("] ").AppendLine(line);
        }
    }

    /// <summary>The dotnet host running the tests (DOTNET_HOST_PATH under the SDK), else the one on PATH.</summary>
    private static string DotnetHost()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }
        string? current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return current;
        }
        return "dotnet";
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(new CancellationTokenSource(Timeout).Token);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already gone.
        }
        _process.Dispose();
    }
}
