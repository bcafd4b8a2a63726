using System.Collections.Concurrent;
using CsMetrics.Contracts.Index;
using CsMetrics.Contracts.Playbooks;
using CsMetrics.Contracts.Watchlists;
using CsMetrics.Grains.Tests.Cluster;
using CsMetrics.Grains.Tests.Time;

namespace CsMetrics.Grains.Tests.Watchlists;

/// <summary>
/// What a watchlist grain pushes, checked against a list recomputed from scratch: whether it
/// compares only the reported accounts (every member visible) or the whole visible list (a list
/// cut at its limit), the deltas in version order must turn the empty list into exactly the top
/// <c>limit</c> members in sort order.
/// </summary>
[Collection(TimeClusterCollection.Name)]
public sealed class WatchlistPushTests(TimeClusterFixture fixture)
{
    private sealed class Recorder : IWatchlistPushObserver
    {
        public ConcurrentQueue<WatchlistDelta> Deltas { get; } = new();

        public Task OnWatchlistChanged(WatchlistDelta delta)
        {
            Deltas.Enqueue(delta);
            return Task.CompletedTask;
        }

        public Task OnAlertFired(FiredAlert alert) => Task.CompletedTask;
    }

    [Theory]
    [InlineData(1000, 12)] // every member visible: only reported accounts are compared
    [InlineData(5, 7)] // members (about 5 of 7) cross the limit both ways: full comparisons and the switch between them
    public async Task Deltas_rebuild_exactly_the_top_of_the_list_from_nothing(int limit, int accounts)
    {
        string tag = Guid.NewGuid().ToString("N")[..8];
        string owner = "push-" + tag;
        var definition = new WatchlistDefinition("push-" + tag, "push", new WatchlistFilter(Owner: owner), "score", limit, BuiltIn: false);
        var grain = fixture.Client.GetGrain<IWatchlistGrain>(definition.Id);
        var recorder = new Recorder();
        var reference = fixture.Client.CreateObjectReference<IWatchlistPushObserver>(recorder);
        var directory = fixture.Client.GetGrain<IPushDirectory>(0);
        await directory.Register(reference);
        try
        {
            await grain.Define(definition);
            var start = (await grain.GetSnapshot())!; // also makes the grain fetch the observers again
            Assert.Empty(start.Entries);

            var random = new Random(20261126 + limit);
            var last = new Dictionary<string, (IndexEntry Entry, bool Matches)>();
            long revision = 0;
            for (int step = 0; step < 400; step++)
            {
                string id = $"{tag}-a{random.Next(accounts)}";
                double score = Math.Round(random.NextDouble() * 100, 1);
                var entry = new IndexEntry(id, id, owner, "smb", score, score < 40 ? "red" : "green", null, null, null, null, $"step {step}", [], null, ++revision);
                bool matches = random.NextDouble() < 0.75;
                last[id] = (entry, matches);
                if (step % 7 == 0)
                {
                    await grain.UpdateMany([entry], [matches]);
                }
                else
                {
                    await grain.Update(entry, matches);
                }
                if (step % 25 == 0)
                {
                    // Pushes go out in between (some at once, some after a window); each time the
                    // list must come out right, not only at the end.
                    var now = Expected(last, limit);
                    var seen = await Poll.Until(() => grain.GetSnapshot(), s => Same(s!.Entries, now));
                    Assert.True(Same(seen!.Entries, now), $"after step {step}: [{string.Join(", ", seen.Entries.Select(e => e.AccountId))}], expected [{string.Join(", ", now.Select(e => e.AccountId))}]");
                }
            }

            var comparer = WatchlistRules.ComparerFor("score");
            var expected = Expected(last, limit);
            var snapshot = await Poll.Until(() => grain.GetSnapshot(), s => Same(s!.Entries, expected));
            Assert.True(Same(snapshot!.Entries, expected));

            // Every push of this list, in version order from the empty start, rebuilds the snapshot.
            var deltas = await Poll.Until(
                () => Task.FromResult(recorder.Deltas.Where(d => d.WatchlistId == definition.Id).OrderBy(d => d.Version).ToList()),
                d => d.Count > 0 && d[^1].Version == snapshot!.Version);
            Assert.Equal(Enumerable.Range(1, deltas.Count).Select(i => start.Version + i), deltas.Select(d => d.Version));
            var rebuilt = new Dictionary<string, WatchlistEntry>();
            foreach (var change in deltas.SelectMany(d => d.Changes))
            {
                if (change.Op == "upsert")
                {
                    rebuilt[change.AccountId] = change.Entry!;
                }
                else
                {
                    Assert.True(rebuilt.Remove(change.AccountId), $"remove of {change.AccountId}, which the deltas never showed");
                }
            }
            Assert.True(Same([.. rebuilt.Values.Order(comparer)], expected));
        }
        finally
        {
            await directory.Unregister(reference);
            fixture.Client.DeleteObjectReference<IWatchlistPushObserver>(reference);
        }
    }

    private static List<WatchlistEntry> Expected(Dictionary<string, (IndexEntry Entry, bool Matches)> last, int limit) =>
        last.Values.Where(v => v.Matches).Select(v => WatchlistRules.ToEntry(v.Entry)).Order(WatchlistRules.ComparerFor("score")).Take(limit).ToList();

    private static bool Same(IReadOnlyList<WatchlistEntry> actual, IReadOnlyList<WatchlistEntry> expected) =>
        actual.Count == expected.Count && actual.Zip(expected).All(p => p.First.AccountId == p.Second.AccountId && p.First.Score == p.Second.Score);
}
