using System.Net;
using System.Text.Json.Nodes;
using CsMetrics.Server.Tests.Support;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Metrics;

/// <summary>POST /api/v1/metrics/rebuild: admin only, 202 with the epoch, and the portfolio comes back whole.</summary>
[Collection(MetricsServerCollection.Name)]
public sealed class MetricsRebuildApiTests(MetricsServerFixture server)
{
    private static DateTimeOffset T(int y, int m, int d) => new(y, m, d, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Rebuild_is_admin_only_answers_202_with_the_epoch_and_keeps_the_portfolio_figures()
    {
        Assert.Equal(HttpStatusCode.Forbidden, (await server.Read.PostAsync("/api/v1/metrics/rebuild", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await server.Ingest.PostAsync("/api/v1/metrics/rebuild", null)).StatusCode);

        string segment = "rb-" + Guid.NewGuid().ToString("N");
        string a = NewAccountId(), b = NewAccountId();
        await server.Admin.RegisterAsync(a, segment: segment, seats: 4);
        await server.Admin.RegisterAsync(b, segment: segment, seats: 6);
        await server.Ingest.IngestAsync(Batch(Revenue(a, 100, at: T(2023, 1, 10)), Revenue(b, 250, at: T(2023, 1, 12))));
        string url = $"/api/v1/metrics?from=2023-02-01&to=2023-02-28&segment={segment}";
        var before = await GetJsonAsync(url);
        Assert.Equal((2, 350.0), (before["accounts"]!.GetValue<int>(), before["revenue"]!["mrrEnd"]!.GetValue<double>()));

        using var response = await server.Admin.PostAsync("/api/v1/metrics/rebuild", null);
        var body = (await response.ReadJsonAsync())!.AsObject();
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("/api/v1/metrics/rebuild", response.Headers.Location?.OriginalString);
        long epoch = body["epoch"]!.GetValue<long>();
        Assert.True(epoch >= 1, body.ToJsonString());

        var status = await GetJsonAsync("/api/v1/metrics/rebuild");
        for (var watch = System.Diagnostics.Stopwatch.StartNew(); (status["rebuilding"]!.GetValue<bool>() || status["epoch"]!.GetValue<long>() < epoch) && watch.Elapsed < TimeSpan.FromSeconds(20);)
        {
            await Task.Delay(50);
            status = await GetJsonAsync("/api/v1/metrics/rebuild");
        }
        Assert.False(status["rebuilding"]!.GetValue<bool>(), status.ToJsonString());
        Assert.True(status["done"]!.GetValue<int>() >= 2, status.ToJsonString());

        using var after = await server.Read.GetAsync(url);
        Assert.False(after.Headers.Contains("X-Metrics-Rebuilding"));
        var figures = (await after.ReadJsonAsync())!.AsObject();
        Assert.Equal((2, 350.0, 10.0), (figures["accounts"]!.GetValue<int>(), figures["revenue"]!["mrrEnd"]!.GetValue<double>(), figures["engagement"]!["seats"]!.GetValue<double>()));
    }

    private async Task<JsonObject> GetJsonAsync(string url)
    {
        using var response = await server.Read.GetAsync(url);
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {body?.ToJsonString()}");
        return body!.AsObject();
    }
}
