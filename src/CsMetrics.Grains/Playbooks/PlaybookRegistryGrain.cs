using CsMetrics.Contracts.Index;
using CsMetrics.Contracts.Playbooks;
using CsMetrics.Grains.Accounts;

namespace CsMetrics.Grains.Playbooks;

[GenerateSerializer, Alias("csm.PlaybookRegistryState")]
public sealed class PlaybookRegistryState
{
    [Id(0)] public List<PlaybookDefinition> Playbooks { get; set; } = [];
}

/// <summary>The saved playbooks. A change is written at once, then every evaluator learns the new set.</summary>
public sealed class PlaybookRegistryGrain(
    [PersistentState("playbooks", StorageNames.Index)] IPersistentState<PlaybookRegistryState> state)
    : Grain, IPlaybookRegistry
{
    public Task<PlaybookDefinition[]> GetAll() => Task.FromResult(state.State.Playbooks.ToArray());

    public async Task Put(PlaybookDefinition definition)
    {
        int i = state.State.Playbooks.FindIndex(p => p.Id == definition.Id);
        if (i >= 0)
        {
            state.State.Playbooks[i] = definition;
        }
        else
        {
            state.State.Playbooks.Add(definition);
        }
        await state.WriteStateAsync();
        await Propagate();
    }

    public async Task<bool> Delete(string id)
    {
        if (state.State.Playbooks.RemoveAll(p => p.Id == id) == 0)
        {
            return false;
        }
        await state.WriteStateAsync();
        await Propagate();
        await GrainFactory.GetGrain<IPlaybookGrain>(id).Clear();
        return true;
    }

    private Task Propagate()
    {
        var all = state.State.Playbooks.ToArray();
        return Task.WhenAll(Enumerable.Range(0, AccountIndex.ShardCount)
            .Select(s => GrainFactory.GetGrain<IPlaybookEvaluator>(s).SetPlaybooks(all)));
    }
}
