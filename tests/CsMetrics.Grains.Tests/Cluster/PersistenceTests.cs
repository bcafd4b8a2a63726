using CsMetrics.Grains.Tests.Support;
using System.Text.Json;
using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Index;
using CsMetrics.Contracts.Signals;
using CsMetrics.Scoring.Signals;
using static CsMetrics.Grains.Tests.Cluster.Sig;

namespace CsMetrics.Grains.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class PersistenceTests(ClusterFixture fixture)
{
    private static string Json(AccountView? view) => JsonSerializer.Serialize(view);

    [Fact]
    public async Task An_account_deactivated_with_unsaved_changes_comes_back_with_counts_score_explanation_and_dedup_memory()
    {
        string id = NewAccount();
        var now = fixture.Time.GetUtcNow();
        var grain = fixture.Account(id);
        await grain.Register(new AccountProfile("Hooli", "olivia", "enterprise", 3, new DateOnly(2026, 3, 1)));
        await grain.Apply(Batch(
            Usage(id, "u1", now.AddHours(-2), "alice", "reports.export"),
            Usage(id, "u2", now.AddHours(-1), "bob", "api.call"),
            Ticket(id, "t1", now.AddHours(-3), "T-1", TicketStatus.Opened, TicketPriority.High),
            Survey(id, "s1", now.AddHours(-1), SurveyKind.Nps, 3, "r1"),
            Revenue(id, "m1", now.AddDays(-40), 2000m),
            Revenue(id, "m2", now.AddHours(-1), 1800m)));
        var before = await grain.GetView();
        Assert.NotNull(before);
        Assert.Equal(6, before.SignalCounts.Total);
        Assert.Equal(6, before.RecentChanges.Length);

        // Not checkpointed: the deactivation itself has to write.
        await fixture.Cluster.DeactivateAsync(grain);

        var after = await grain.GetView();
        Assert.Equal(Json(before), Json(after));
        Assert.Equal("t1", after!.RecentChanges[3].SignalId);

        // The ids applied before are still known: re-sending them counts nothing.
        Assert.Equal((0, 3), ApplyCounts.Of(await grain.Apply(Batch(
            Usage(id, "u1", now.AddHours(-2), "alice", "reports.export"),
            Ticket(id, "t1", now.AddHours(-3), "T-1", TicketStatus.Opened, TicketPriority.High),
            Revenue(id, "m2", now.AddHours(-1), 1800m)))));
        Assert.Equal((1, 0), ApplyCounts.Of(await grain.Apply(Batch(
            Ticket(id, "t2", now, "T-1", TicketStatus.Solved, TicketPriority.High)))));
        var solved = (await grain.GetView())!;
        Assert.Equal(new SignalCounts(2, 2, 1, 2), solved.SignalCounts);
        // The ticket state survived too: solving the one open ticket empties the queue.
        Assert.Equal(100, solved.Component("support").Score);

        // Checkpointed first, then deactivated: nothing is written twice, nothing lost.
        await grain.Checkpoint();
        await fixture.Cluster.DeactivateAsync(grain);
        Assert.Equal(Json(solved), Json(await grain.GetView()));
        Assert.Equal((0, 1), ApplyCounts.Of(await grain.Apply(Batch(Ticket(id, "t2", now, "T-1", TicketStatus.Solved, TicketPriority.High)))));
    }

    [Fact]
    public async Task A_registered_account_without_signals_survives_deactivation()
    {
        string id = NewAccount();
        var grain = fixture.Account(id);
        var registered = await grain.Register(new AccountProfile("Pied Piper", "omar", "smb", 5, null));
        await fixture.Cluster.DeactivateAsync(grain);
        var view = await grain.GetView();
        Assert.Equal(Json(registered), Json(view));
        Assert.Equal(5, view!.Seats);
        Assert.Null(view.Health.Score);
    }

    [Fact]
    public async Task The_index_keeps_its_entries_and_later_reports_across_deactivations()
    {
        string id = NewAccount();
        string owner = "owner-" + Guid.NewGuid().ToString("N");
        var now = fixture.Time.GetUtcNow();
        var grain = fixture.Account(id);
        var shard = fixture.Client.GetGrain<IAccountIndexShard>(AccountIndex.ShardOf(id));
        var query = new IndexQuery(owner, null, null, 10);

        await grain.Apply(Batch(Usage(id, "u1", now, "alice")));
        await grain.Register(new AccountProfile("Vandelay", owner, "smb", 0, null));
        var listed = await Poll.Until(() => shard.Query(query), p => p.Total == 1);
        Assert.Equal(60, Assert.Single(listed.Entries).Score);

        // The shard writes its entries when it deactivates.
        await fixture.Cluster.DeactivateAsync(shard);
        var reloaded = await shard.Query(query);
        Assert.Equal(JsonSerializer.Serialize(listed.Entries), JsonSerializer.Serialize(reloaded.Entries));

        // The account's last report was the registration. After the account reactivates (the clock has
        // not moved) its next report must still be newer than the one the shard holds.
        await fixture.Cluster.DeactivateAsync(grain);
        await grain.Apply(Batch(Usage(id, "u2", now, "alice", "reports.export")));
        Assert.Equal(70, (await grain.GetView())!.Health.Score);
        var updated = await Poll.Until(() => shard.Query(query), p => p.Entries.FirstOrDefault()?.Score == 70);
        Assert.Equal(70, Assert.Single(updated.Entries).Score);
    }
}
