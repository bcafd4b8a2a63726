using System.Text.Json.Nodes;
using CsMetrics.Server.Tests.Support;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Live;

/// <summary>
/// One server (own data folder, own Orleans ports) for the watchlist HTTP and hub tests. They
/// share a collection, so they run one after another: a hub test asserting "no message" on the
/// at-risk list is not disturbed by another test pushing an account into red.
/// </summary>
public sealed class LiveServerFixture : ServerFixture;

[CollectionDefinition(Name)]
public sealed class LiveServerCollection : ICollectionFixture<LiveServerFixture>
{
    public const string Name = "live server";
}

/// <summary>Signal sets that move an account into and out of the red band (default scorecard).</summary>
public static class Health
{
    /// <summary>
    /// Two open urgent tickets (support 0), an NPS of 0 (sentiment 0) and MRR 0 (revenue 0):
    /// score 0, red.
    /// </summary>
    public static JsonObject[] IntoRed(string accountId, DateTimeOffset? at = null)
    {
        var t = at ?? DateTimeOffset.UtcNow.AddHours(-2);
        return
        [
            Ticket(accountId, at: t, ticketId: "T-1", status: "opened", priority: "urgent"),
            Ticket(accountId, at: t, ticketId: "T-2", status: "opened", priority: "urgent"),
            Survey(accountId, "nps", 0, at: t, respondentId: "r-1"),
            Revenue(accountId, 0, at: t),
        ];
    }

    /// <summary>
    /// After <see cref="IntoRed"/>: both tickets solved (support 100), the same respondent now a
    /// promoter (sentiment 100), MRR back up from 0 (revenue 100): score 100, green.
    /// </summary>
    public static JsonObject[] OutOfRed(string accountId, DateTimeOffset? at = null)
    {
        var t = at ?? DateTimeOffset.UtcNow.AddHours(-1);
        return
        [
            Ticket(accountId, at: t, ticketId: "T-1", status: "solved", priority: "urgent"),
            Ticket(accountId, at: t, ticketId: "T-2", status: "solved", priority: "urgent"),
            Survey(accountId, "nps", 10, at: t, respondentId: "r-1"),
            Revenue(accountId, 1100, at: t),
        ];
    }
}
