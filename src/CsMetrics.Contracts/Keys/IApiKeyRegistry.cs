namespace CsMetrics.Contracts.Keys;

/// <summary>An API key managed through the API. Only the SHA-256 hash of the secret is stored.</summary>
[GenerateSerializer, Immutable, Alias("csm.StoredApiKey")]
public sealed record StoredApiKey(string Id, string Name, string[] Scopes, string? Owner, string Hash, DateTimeOffset CreatedAt);

/// <summary>The API-managed keys of the cluster (one grain, key 0).</summary>
[Alias("csm.IApiKeyRegistry")]
public interface IApiKeyRegistry : IGrainWithIntegerKey
{
    [Alias("GetAll"), Orleans.Concurrency.AlwaysInterleave]
    Task<StoredApiKey[]> GetAll();

    [Alias("Add")]
    Task Add(StoredApiKey key);

    /// <summary>False when no key has that id.</summary>
    [Alias("Remove")]
    Task<bool> Remove(string id);
}
