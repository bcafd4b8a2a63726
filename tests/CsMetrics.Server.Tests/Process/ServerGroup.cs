using Xunit.Abstractions;

namespace CsMetrics.Server.Tests.Process;

/// <summary>
/// The real server processes one test starts: all stopped at the end, and their output written
/// to the test output when the test fails.
/// </summary>
public sealed class ServerGroup(ITestOutputHelper output)
{
    private readonly List<ServerProcess> _servers = [];

    public async Task<ServerProcess> StartAsync(string name, string dataDir, IDictionary<string, string>? environment = null, bool waitUntilHealthy = true)
    {
        var server = await ServerProcess.StartAsync(name, dataDir, Support.Keys.Configuration, environment, waitUntilHealthy);
        _servers.Add(server);
        return server;
    }

    public async Task RunAsync(Func<Task> body)
    {
        try
        {
            await body();
        }
        catch
        {
            foreach (var s in _servers)
            {
                output.WriteLine($"===== {s.Name} (pid {s.Id}) =====");
                output.WriteLine(s.Output);
            }
            throw;
        }
        finally
        {
            foreach (var s in _servers)
            {
                await s.DisposeAsync();
            }
        }
    }
}
