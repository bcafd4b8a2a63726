using System.Globalization;
using System.Net.Http.Json;
using CsMetrics.Server.Tests.Support;
using CsMetrics.Server.Tests.Time;
using Xunit.Abstractions;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Process;

/// <summary>
/// VoC comments, themes and churn reports are state of their own (not re-derived from accounts at
/// query time), so they must survive a restart of the real server process on the same data folder.
/// </summary>
public sealed class InsightsRestartTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _dataDir = new("csmetrics-insights-restart");
    private ServerGroup? _group;

    private ServerGroup Group => _group ??= new ServerGroup(output);

    [Fact]
    public Task Comments_themes_and_churns_are_the_same_after_a_graceful_restart() => Group.RunAsync(async () =>
    {
        var now = DateTimeOffset.UtcNow;
        string churned = NewAccountId("restart-churned");
        string range = $"from={Uri.EscapeDataString(now.AddDays(-30).ToString("O", CultureInfo.InvariantCulture))}&to={Uri.EscapeDataString(now.AddDays(1).ToString("O", CultureInfo.InvariantCulture))}";

        var server1 = await Group.StartAsync("server 1", _dataDir.Path);
        string vocBefore, commentsBefore, themesBefore;
        using (var admin = server1.Client(Keys.Admin))
        {
            using var put = await admin.PutAsJsonAsync("/api/v1/voc/themes", new
            {
                themes = new object[] { new { name = "money", keywords = new[] { "price", "invoice" } } },
            });
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
            await admin.IngestAsync(Batch(
                Revenue(churned, 700, at: now.AddDays(-40)),
                Revenue(churned, 0, at: now.AddDays(-3)),
                Survey(churned, "nps", 1, at: now.AddDays(-4), respondentId: "a", comment: "The price doubled"),
                Survey(churned, "nps", 9, at: now.AddDays(-20), respondentId: "b", comment: "Great team")));
            var voc = await TimeApi.Until(() => admin.GetOkAsync($"/api/v1/voc?{range}"), v => v["comments"]!.GetValue<int>() == 2);
            Assert.Equal("""[{"theme":"money","detractors":1,"passives":0,"promoters":0,"total":1},{"theme":"other","detractors":0,"passives":0,"promoters":1,"total":1}]""",
                voc["themes"]!.ToJsonString());
            vocBefore = voc.ToJsonString();
            commentsBefore = (await admin.GetOkAsync($"/api/v1/voc/themes/money/comments?{range}")).ToJsonString();
            themesBefore = (await admin.GetOkAsync("/api/v1/voc/themes")).ToJsonString();
            var calibration = await TimeApi.Until(() => admin.GetOkAsync("/api/v1/scorecard/calibration"), c => c["churned"]!.GetValue<int>() == 1);
            Assert.Equal(churned, calibration["churnedAccounts"]![0]!["accountId"]!.GetValue<string>());
        }
        await server1.StopGracefullyAsync();
        Assert.Equal(0, server1.ExitCode);

        var server2 = await Group.StartAsync("server 2", _dataDir.Path);
        using var client = server2.Client(Keys.Admin);
        Assert.Equal(vocBefore, (await client.GetOkAsync($"/api/v1/voc?{range}")).ToJsonString());
        Assert.Equal(commentsBefore, (await client.GetOkAsync($"/api/v1/voc/themes/money/comments?{range}")).ToJsonString());
        Assert.Equal(themesBefore, (await client.GetOkAsync("/api/v1/voc/themes")).ToJsonString());
        var after = await client.GetOkAsync("/api/v1/scorecard/calibration");
        Assert.Equal(1, after["churned"]!.GetValue<int>());
        Assert.Equal(churned, after["churnedAccounts"]![0]!["accountId"]!.GetValue<string>());
        Assert.Equal(Iso(now.AddDays(-3)), Iso(after["churnedAccounts"]![0]!["churnedAt"]!.GetValue<DateTimeOffset>()));
    });

    public void Dispose() => _dataDir.Dispose();
}
