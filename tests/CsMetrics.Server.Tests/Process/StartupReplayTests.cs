using System.Net;
using CsMetrics.Grains.Ingest;
using CsMetrics.Scoring.Signals;
using CsMetrics.Server.Tests.Support;
using Xunit.Abstractions;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Process;

/// <summary>
/// A node replaying a long ingest log at start already answers HTTP: the probes say "starting"
/// (503), everything else 503 with Retry-After — nothing reads half-replayed accounts or ingests
/// ahead of the log — and once the replay is done it is ready with every logged signal applied.
/// </summary>
public sealed class StartupReplayTests(ITestOutputHelper output) : IDisposable
{
    private const int Accounts = 2_000;
    private const int SignalsPerAccount = 300;
    private readonly TempDirectory _dataDir = new("csmetrics-startup-replay");

    [Fact]
    public async Task During_the_replay_requests_get_503_with_retry_after_and_then_every_logged_signal_is_there()
    {
        // 600,000 signals logged and never checkpointed: several seconds of replay on any machine,
        // so the test sees the replay even when other tests starve it of CPU for a while.
        var at = DateTimeOffset.UtcNow.AddHours(-1);
        await using (var log = new SqliteIngestLog(Path.Combine(_dataDir.Path, "ingest-log.db")))
        {
            for (int round = 0; round < SignalsPerAccount; round++)
            {
                var signals = Enumerable.Range(0, Accounts).Select(a => new Signal
                {
                    Id = $"r{round}-a{a}",
                    AccountId = $"replay-{a}",
                    Type = SignalType.Usage,
                    Timestamp = at,
                    UserId = $"u{round % 7}",
                    Feature = "reports.export",
                }).ToArray();
                await Task.WhenAll(signals.Chunk(500).Select(b => log.AppendAsync(SignalCodec.Encode(b)).AsTask()));
            }
        }

        var group = new ServerGroup(output);
        await group.RunAsync(async () =>
        {
            var server = await group.StartAsync("replaying", _dataDir.Path, waitUntilHealthy: false);
            using var client = server.Client(Keys.Admin);
            client.Timeout = TimeSpan.FromSeconds(30);
            int refusedWhileStarting = 0;
            bool healthSaidStarting = false;
            bool opened = false; // the gate opens once, with readiness
            bool dashboardSaidStarting = false;
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            while (true)
            {
                Assert.False(server.HasExited, "the server exited during its start");
                Assert.True(DateTime.UtcNow < deadline, "not ready within 2 minutes");
                HttpResponseMessage ready;
                try
                {
                    ready = await client.GetAsync("/readyz");
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(20);
                    continue; // not listening yet
                }
                using (ready)
                {
                    if (ready.StatusCode == HttpStatusCode.OK)
                    {
                        break;
                    }
                    Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
                }
                using (var health = await client.GetAsync("/healthz"))
                {
                    if (health.StatusCode == HttpStatusCode.ServiceUnavailable)
                    {
                        Assert.Equal("starting", (await health.ReadJsonAsync())!["status"]!.GetValue<string>());
                        healthSaidStarting = true;
                    }
                }
                using (var ingest = await client.PostSignalsAsync(Batch(Usage("replay-0", userId: "late"))))
                {
                    if (ingest.StatusCode == HttpStatusCode.ServiceUnavailable)
                    {
                        Assert.False(opened, "503 after the gate had opened");
                        Assert.Equal("1", ingest.Headers.RetryAfter?.ToString());
                        refusedWhileStarting++;
                    }
                    else
                    {
                        Assert.Equal(HttpStatusCode.Accepted, ingest.StatusCode);
                        opened = true;
                    }
                }
                using (var page = new HttpRequestMessage(HttpMethod.Get, "/"))
                {
                    page.Headers.Accept.ParseAdd("text/html");
                    using var dashboard = await client.SendAsync(page);
                    if (dashboard.StatusCode == HttpStatusCode.ServiceUnavailable)
                    {
                        Assert.False(opened, "503 after the gate had opened");
                        string html = await dashboard.Content.ReadAsStringAsync();
                        Assert.Contains("CsMetrics is starting", html);
                        Assert.Contains("http-equiv=\"refresh\"", html);
                        dashboardSaidStarting = true;
                    }
                }
                using (var read = await client.GetAsync("/api/v1/accounts/replay-0"))
                {
                    if (read.StatusCode == HttpStatusCode.ServiceUnavailable)
                    {
                        Assert.False(opened, "503 after the gate had opened");
                        Assert.Equal("starting", (await read.ReadJsonAsync())!["status"]!.GetValue<string>());
                    }
                    else
                    {
                        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
                        opened = true;
                    }
                }
                await Task.Delay(20);
            }
            Assert.True(refusedWhileStarting > 0, "no request was answered while the log was replayed");
            Assert.True(healthSaidStarting, "/healthz never said starting");
            Assert.True(dashboardSaidStarting, "the dashboard never showed the starting page");
            await server.AssertOutputContainsAsync($"{Accounts * SignalsPerAccount} signals re-applied");

            // Every logged signal was applied before readiness; ingest is open now.
            var first = (await client.GetAccountAsync("replay-1"))!;
            Assert.Equal(SignalsPerAccount, first.Counts().Usage);
            var (accepted, duplicates) = await client.IngestAsync(Batch(Usage("replay-1", userId: "after")));
            Assert.Equal((1, 0), (accepted, duplicates));
        });
    }

    public void Dispose() => _dataDir.Dispose();
}
