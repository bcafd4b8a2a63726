using System.Net;
using CsMetrics.Server.Tests.Support;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Time;

/// <summary>
/// The silo's own sweep loop, end to end on the real clock: a server whose sweep interval is one
/// second. An override that expires changes nothing by itself in the listing; the sweep
/// re-evaluates the account, lifts the override, and the at-risk watchers see the row leave.
/// (Score changes from silence need days; the grain tests cover those on a fake clock.)
/// </summary>
public sealed class SweepLiveTests
{
    [Fact]
    public async Task The_background_sweep_lifts_an_expired_override_and_hub_watchers_see_the_account_leave_at_risk()
    {
        await using var factory = new CsMetricsFactory(settings: new Dictionary<string, string?> { ["CsMetrics:Sweep:Interval"] = "00:00:01" });
        var admin = await Task.Run(() => factory.ClientWithKey(Keys.Admin));
        var read = factory.ClientWithKey(Keys.Read);

        string id = NewAccountId("expiring");
        await admin.IngestAsync(Batch(Revenue(id, 1000)));                                // 75, green
        await using var watcher = await HubWatcher.SubscribeAsync(factory, Keys.Read, "at-risk");

        var expires = DateTimeOffset.UtcNow.AddSeconds(3);
        using (var put = await admin.PutOverrideAsync(id, new { band = "red", reason = "escalated", expiresAt = expires }))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }
        // In, flagged as overridden…
        await watcher.WaitUntilAsync(rows => rows.ContainsKey(id), "the overridden account to enter at-risk");
        var changes = watcher.Applied.SelectMany(m => m.GetProperty("changes").EnumerateArray())
            .Where(c => c.GetProperty("accountId").GetString() == id).ToList();
        var upsert = Assert.Single(changes);
        Assert.Equal("upsert", upsert.GetProperty("op").GetString());
        Assert.True(upsert.GetProperty("entry").GetProperty("overridden").GetBoolean());
        Assert.Equal("override: escalated", upsert.GetProperty("entry").GetProperty("reason").GetString());

        // …and out again once the override has expired and a sweep has looked at the account.
        await watcher.WaitUntilAsync(rows => !rows.ContainsKey(id), "the expired override's account to leave at-risk");
        Assert.True(DateTimeOffset.UtcNow >= expires, "the account left at-risk before its override expired");
        changes = watcher.Applied.SelectMany(m => m.GetProperty("changes").EnumerateArray())
            .Where(c => c.GetProperty("accountId").GetString() == id).ToList();
        Assert.Equal(["upsert", "remove"], changes.Select(c => c.GetProperty("op").GetString()));

        var account = (await read.GetAccountAsync(id))!;
        Assert.False(account["health"]!["overridden"]!.GetValue<bool>());
        Assert.Equal("green", account["health"]!["band"]!.GetValue<string>());
        var audit = account["overrideAudit"]!.AsArray();
        Assert.Equal(["set", "expired"], audit.Select(a => a!["action"]!.GetValue<string>()));
        Assert.Equal("system", audit[1]!["by"]!.GetValue<string>());
        Assert.Null((await read.GetOkAsync("/api/v1/watchlists/at-risk")).Row(id));
    }
}
