using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using CsMetrics.Server.Tests.Support;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Metrics;

/// <summary>A server with the production default: accounts publish portfolio facts once per window.</summary>
public sealed class CoalescedMetricsServerFixture : ServerFixture
{
    protected override CsMetricsFactory CreateFactory() => new(settings: new Dictionary<string, string?>
    {
        ["CsMetrics:Metrics:PublishWindow"] = "00:00:00.300",
        // No checkpoint in the test's lifetime: only the publish timer can bring the facts.
        ["CsMetrics:Checkpoint:Interval"] = "01:00:00",
    });
}

/// <summary>
/// With a publish window (the default, 1 s), an account publishes its metric facts once per
/// window instead of after every batch: a hot account pays for one fact build a window. The
/// portfolio still gets every change, within the window, without any checkpoint.
/// </summary>
public sealed class MetricsPublishWindowTests : IClassFixture<CoalescedMetricsServerFixture>
{
    private readonly CoalescedMetricsServerFixture _server;

    public MetricsPublishWindowTests(CoalescedMetricsServerFixture server) => _server = server;

    [Fact]
    public async Task Batches_within_a_window_reach_the_portfolio_together_through_the_timer()
    {
        string segment = "seg-" + Guid.NewGuid().ToString("N");
        string acc = NewAccountId();
        await _server.Admin.RegisterAsync(acc, segment: segment);
        var at = new DateTimeOffset(2024, 3, 10, 12, 0, 0, TimeSpan.Zero);
        // Three batches in quick succession: one coalesced publish carries all of them.
        Assert.Equal((1, 0), await _server.Ingest.IngestAsync(Batch(Revenue(acc, 100, at: at))));
        Assert.Equal((1, 0), await _server.Ingest.IngestAsync(Batch(Revenue(acc, 160, at: at.AddDays(5)))));
        Assert.Equal((1, 0), await _server.Ingest.IngestAsync(Batch(Revenue(acc, 140, at: at.AddDays(9)))));

        string url = $"/api/v1/metrics?from=2024-03-01&to=2024-03-31&segment={segment}";
        var watch = Stopwatch.StartNew();
        JsonNode? revenue = null;
        while (watch.Elapsed < TimeSpan.FromSeconds(15))
        {
            using var response = await _server.Read.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = (await response.ReadJsonAsync())!;
            if (body["accounts"]!.GetValue<int>() == 1 && body["revenue"]!["mrrEnd"]!.GetValue<double>() == 140)
            {
                revenue = body["revenue"];
                break;
            }
            await Task.Delay(100);
        }
        Assert.True(revenue is not null, $"the portfolio never showed the account's facts within 15 s (window 300 ms)");
        // new 100, expansion 60, contraction 20: every batch is in, none twice.
        Assert.Equal((100.0, 60.0, 20.0), (revenue!["newMrr"]!.GetValue<double>(), revenue["expansionMrr"]!.GetValue<double>(), revenue["contractionMrr"]!.GetValue<double>()));
    }
}
