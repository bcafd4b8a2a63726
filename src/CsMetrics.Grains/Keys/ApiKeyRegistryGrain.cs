using CsMetrics.Contracts.Keys;
using CsMetrics.Grains.Accounts;

namespace CsMetrics.Grains.Keys;

[GenerateSerializer, Alias("csm.ApiKeyRegistryState")]
public sealed class ApiKeyRegistryState
{
    [Id(0)] public List<StoredApiKey> Keys { get; set; } = [];
}

/// <summary>Durable list of API-managed keys (hashes only); every node caches it and follows changes.</summary>
public sealed class ApiKeyRegistryGrain(
    [PersistentState("keys", StorageNames.Index)] IPersistentState<ApiKeyRegistryState> state) : Grain, IApiKeyRegistry
{
    public const int MaxKeys = 10_000;

    public Task<StoredApiKey[]> GetAll() => Task.FromResult(state.State.Keys.ToArray());

    public async Task Add(StoredApiKey key)
    {
        if (state.State.Keys.Count >= MaxKeys)
        {
            throw new InvalidOperationException($"At most {MaxKeys} API keys.");
        }
        state.State.Keys.Add(key);
        await state.WriteStateAsync();
    }

    public async Task<bool> Remove(string id)
    {
        if (state.State.Keys.RemoveAll(k => k.Id == id) == 0)
        {
            return false;
        }
        await state.WriteStateAsync();
        return true;
    }
}
