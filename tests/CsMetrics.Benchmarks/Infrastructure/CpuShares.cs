using System.Diagnostics;
using System.Globalization;

namespace CsMetrics.Benchmarks.Infrastructure;

/// <summary>
/// Who used the machine's cores during a live run: the server process and this process (the
/// load generator and the SignalR watchers), from the scheduler's own accounting of each. When
/// the two add up to about all the cores, a latency target missed in that run is the machine's
/// limit, not a queue of ours: this puts the numbers beside each such result.
/// </summary>
/// <remarks>
/// The machine-wide busy share from /proc/stat was tried beside them and left out: on this VM it
/// read lower than the two processes' sum in bursty minutes (41 % against 1.03 cores of 2 at
/// 2,000 signals/s), its per-tick sampling missing short bursts.
/// </remarks>
public sealed class CpuShares
{
    private readonly BenchServer _server;
    private readonly TimeSpan _serverStart;
    private readonly TimeSpan _ownStart;
    private readonly long _started;

    private CpuShares(BenchServer server)
    {
        _server = server;
        _serverStart = server.CpuTime();
        _ownStart = Process.GetCurrentProcess().TotalProcessorTime;
        _started = Stopwatch.GetTimestamp();
    }

    public static CpuShares Start(BenchServer server) => new(server);

    /// <summary>"server 1.31 cores + load generator and watchers 0.52 = 1.83 of 2 cores over 10.4 s".</summary>
    public string Describe()
    {
        double seconds = Stopwatch.GetElapsedTime(_started).TotalSeconds;
        double server = (_server.CpuTime() - _serverStart).TotalSeconds / seconds;
        double own = (Process.GetCurrentProcess().TotalProcessorTime - _ownStart).TotalSeconds / seconds;
        return string.Create(CultureInfo.InvariantCulture,
            $"server {server:F2} cores + load generator and watchers {own:F2} = {server + own:F2} of {Environment.ProcessorCount} cores over {seconds:F1} s");
    }
}
