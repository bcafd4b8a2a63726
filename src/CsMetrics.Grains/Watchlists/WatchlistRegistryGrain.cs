using CsMetrics.Contracts.Index;
using CsMetrics.Contracts.Watchlists;
using CsMetrics.Grains.Accounts;

namespace CsMetrics.Grains.Watchlists;

[GenerateSerializer, Alias("csm.WatchlistRegistryState")]
public sealed class WatchlistRegistryState
{
    [Id(0)] public List<WatchlistDefinition> Custom { get; set; } = [];
}

/// <summary>
/// The saved watchlists. A change is written at once, then every index shard learns the new set
/// (so membership follows from the next change on) and the watchlist grain refills itself.
/// </summary>
public sealed class WatchlistRegistryGrain(
    [PersistentState("watchlists", StorageNames.Index)] IPersistentState<WatchlistRegistryState> state)
    : Grain, IWatchlistRegistry
{
    public Task<WatchlistDefinition[]> GetAll() => Task.FromResult(All());

    private WatchlistDefinition[] All() => [.. WatchlistRules.BuiltIns, .. state.State.Custom];

    public async Task<bool> Put(WatchlistDefinition definition)
    {
        if (WatchlistRules.BuiltIns.Any(b => b.Id == definition.Id))
        {
            return false;
        }
        definition = definition with { BuiltIn = false };
        state.State.Custom.RemoveAll(w => w.Id == definition.Id);
        state.State.Custom.Add(definition);
        await state.WriteStateAsync();
        await Propagate(definition.Id, definition);
        return true;
    }

    public async Task<bool?> Delete(string id)
    {
        if (WatchlistRules.BuiltIns.Any(b => b.Id == id))
        {
            return false;
        }
        if (state.State.Custom.RemoveAll(w => w.Id == id) == 0)
        {
            return null;
        }
        await state.WriteStateAsync();
        await Propagate(id, null);
        return true;
    }

    private async Task Propagate(string id, WatchlistDefinition? definition)
    {
        var all = All();
        await Task.WhenAll(Enumerable.Range(0, AccountIndex.ShardCount)
            .Select(s => GrainFactory.GetGrain<IAccountIndexShard>(s).SetWatchlists(all)));
        await GrainFactory.GetGrain<IWatchlistGrain>(id).Define(definition);
    }
}
