using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CsMetrics.Grains;
using CsMetrics.Grains.Ingest;
using CsMetrics.Server.Tests.Integrations;
using CsMetrics.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Memory;

/// <summary>
/// <c>CsMetrics:Memory:RefuseIngestAbovePercent</c>: while the node's memory use is above it, new
/// signals are refused before anything is logged — 503 with Retry-After from the API and the
/// webhooks — and a re-send once memory is back under is taken, exactly once.
/// </summary>
public sealed class IngestRefusalTests
{
    [Fact]
    public async Task Above_the_limit_signals_and_webhooks_get_503_with_retry_after_and_nothing_is_stored()
    {
        // Far below what any process uses: the node's real memory reading is always above it.
        await using var factory = new CsMetricsFactory(settings: new Dictionary<string, string?>
        {
            ["CsMetrics:Memory:ShedAbovePercent"] = "0",
            ["CsMetrics:Memory:RefuseIngestAbovePercent"] = "0.0001",
        });
        var ingest = factory.ClientWithKey(Keys.Ingest);
        var read = factory.ClientWithKey(Keys.Read);
        var log = factory.Services.GetRequiredService<IIngestLog>();
        long logged = log.LastSequence;
        string acc = NewAccountId("refused");

        using (var response = await ingest.PostSignalsAsync(Batch(Usage(acc), Usage(acc))))
        {
            await AssertRefusedAsync(response);
        }
        using (var webhook = await ingest.PostAsync("/api/v1/integrations/tickets", IntegrationsServerFixture.Json(
            new JsonObject { ["accountId"] = acc, ["ticketId"] = "FD-1", ["status"] = "opened" })))
        {
            await AssertRefusedAsync(webhook);
        }

        Assert.Equal(logged, log.LastSequence);
        Assert.Null(await read.GetAccountAsync(acc));
        Assert.Equal(3, factory.Services.GetRequiredService<IngestAdmission>().RefusedSignals);
        using var metrics = await factory.ClientWithKey(null).GetAsync("/metrics");
        Assert.Contains("csmetrics_signals_refused_total", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // Reads are not refused: a CSM still sees the portfolio while the node is short of memory.
        Assert.Equal(HttpStatusCode.OK, (await read.GetAsync("/api/v1/accounts")).StatusCode);
    }

    [Fact]
    public async Task A_batch_refused_while_memory_was_high_is_taken_once_when_it_is_re_sent_after_memory_came_down()
    {
        double usage = 97;
        await using var factory = new CsMetricsFactory(services: s => s.AddSingleton(sp => new IngestAdmission(
            90, () => Volatile.Read(ref usage), sp.GetRequiredService<ILogger<IngestAdmission>>()) { LookEvery = TimeSpan.Zero }));
        var ingest = factory.ClientWithKey(Keys.Ingest);
        var read = factory.ClientWithKey(Keys.Read);
        string acc = NewAccountId("refused");
        var batch = Batch(Usage(acc), Usage(acc), Revenue(acc, 500m));

        using (var refused = await ingest.PostSignalsAsync(batch))
        {
            await AssertRefusedAsync(refused);
        }
        Assert.Null(await read.GetAccountAsync(acc));

        Volatile.Write(ref usage, 80);
        Assert.Equal((3, 0), await ingest.IngestAsync(batch));
        Assert.Equal((0, 3), await ingest.IngestAsync(batch));
        var account = await read.GetAccountAsync(acc);
        Assert.NotNull(account);
        Assert.Equal(2, account.Counts().Usage);

        Volatile.Write(ref usage, 90.5);
        using (var again = await ingest.PostSignalsAsync(Batch(Usage(acc))))
        {
            await AssertRefusedAsync(again);
        }
        Assert.Equal(2, (await read.GetAccountAsync(acc))!.Counts().Usage);
    }

    [Fact]
    public async Task Shedding_and_refusing_read_memory_as_Orleans_does()
    {
        // Ingest is refused above a limit on our reading on the promise that Orleans sheds above a
        // lower one on its own: if the two figures drifted apart (an Orleans upgrade), a node could
        // refuse while Orleans sees no pressure, and stay stuck.
        await using var factory = new CsMetricsFactory();
        var orleans = factory.Services.GetRequiredService<Orleans.Statistics.IEnvironmentStatisticsProvider>();
        var closest = double.MaxValue;
        for (int i = 0; i < 20 && closest > 0.05; i++)
        {
            double theirs = orleans.GetEnvironmentStatistics().MemoryUsagePercentage;
            double ours = MemoryPressureTrigger.UsagePercent();
            closest = Math.Min(closest, Math.Abs(theirs - ours));
            await Task.Delay(10);
        }
        Assert.True(closest <= 0.05, $"our memory reading is {closest:F3} points away from Orleans'");
        Assert.InRange(MemoryPressureTrigger.UsagePercent(), 0.0001, 100);
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(503, problem!["status"]!.GetValue<int>());
        Assert.Contains("nothing was stored", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
