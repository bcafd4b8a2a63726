using CsMetrics.Contracts.Keys;
using CsMetrics.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CsMetrics.Server.Hosting;

public sealed record KeyRequest(string? Name, string[]? Scopes, string? Owner);

/// <summary>The one answer that carries the secret: shown once, stored only as a hash.</summary>
public sealed record CreatedKey(string Id, string Key, string Name, string[] Scopes, string? Owner);

public sealed record KeyListItem(string Id, string Name, string[] Scopes, string? Owner, string Source, DateTimeOffset? CreatedAt);

public sealed record KeyList(KeyListItem[] Keys);

public static class KeysApi
{
    public static IEndpointRouteBuilder MapKeysApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/keys").WithTags("Keys").RequireAuthorization(Policies.Admin);
        group.MapPost("/", CreateAsync).WithSummary("Create a key; the secret is in this answer only.");
        group.MapGet("/", ListAsync).WithSummary("Every key, never the secrets.");
        group.MapDelete("/{id}", RevokeAsync).WithSummary("Revoke a key; it stops working at once, also for open hub connections.");
        return app;
    }

    private static async Task<Results<Created<CreatedKey>, ProblemHttpResult>> CreateAsync(
        KeyRequest? body, IGrainFactory grains, ApiKeySync sync, TimeProvider time)
    {
        var errors = new List<string>();
        string[] scopes = body?.Scopes?.Distinct().ToArray() ?? [];
        if (body is null)
        {
            errors.Add("body: {\"name\",\"scopes\":[…],\"owner\"} is required");
        }
        else
        {
            if (string.IsNullOrWhiteSpace(body.Name) || body.Name.Length > 100 || body.Name.Any(char.IsControl))
            {
                errors.Add("name is required: 1–100 characters without control characters");
            }
            // Each item is one scope name; "read+admin" is the configuration syntax, not the API's.
            if (scopes.Length == 0 || scopes.Length > 3 || scopes.Any(s => s is not ("ingest" or "read" or "admin")))
            {
                errors.Add("scopes must be a non-empty list of ingest, read, admin");
            }
            if (body.Owner is not null && (body.Owner.Length is 0 or > 200 || body.Owner.Any(char.IsControl)))
            {
                errors.Add("owner must be 1–200 characters without control characters");
            }
            if (body.Owner is not null && scopes.Contains("admin"))
            {
                errors.Add("an admin key cannot be restricted to an owner (admin sees and changes everything)");
            }
        }
        if (errors.Count > 0)
        {
            return TypedResults.Problem(title: "Invalid key request", detail: string.Join("; ", errors), statusCode: 400);
        }

        var (id, secret) = ApiKeyStore.NewManagedKey();
        var stored = new StoredApiKey(id, body!.Name!.Trim(), scopes, body.Owner, ApiKeyStore.Hash(secret), time.GetUtcNow());
        await grains.GetGrain<IApiKeyRegistry>(0).Add(stored);
        await sync.RefreshAsync();
        return TypedResults.Created($"/api/v1/keys/{stored.Id}", new CreatedKey(stored.Id, secret, stored.Name, stored.Scopes, stored.Owner));
    }

    private static async Task<Ok<KeyList>> ListAsync(IGrainFactory grains, ApiKeyStore store)
    {
        var managed = await grains.GetGrain<IApiKeyRegistry>(0).GetAll();
        var items = store.Configured
            .Select(k => new KeyListItem(k.Id, k.Name, ScopeNames(k.Scopes), k.Owner, "configuration", null))
            .Concat(managed.Select(k => new KeyListItem(k.Id, k.Name, k.Scopes, k.Owner, "api", k.CreatedAt)))
            .ToArray();
        return TypedResults.Ok(new KeyList(items));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeAsync(string id, IGrainFactory grains, ApiKeyStore store, ApiKeySync sync)
    {
        if (store.Configured.Any(k => k.Id == id))
        {
            return TypedResults.Problem(title: "Configured key", detail: "Keys from CSMETRICS_API_KEYS are revoked by changing that setting.", statusCode: 409);
        }
        if (id.Length > 64 || !await grains.GetGrain<IApiKeyRegistry>(0).Remove(id))
        {
            return TypedResults.Problem(title: "Key not found", statusCode: 404);
        }
        await sync.RefreshAsync();
        return TypedResults.NoContent();
    }

    private static string[] ScopeNames(ApiScope scopes) =>
        Enum.GetValues<ApiScope>().Where(s => s != ApiScope.None && scopes.HasFlag(s)).Select(s => s.ToString().ToLowerInvariant()).ToArray();
}
