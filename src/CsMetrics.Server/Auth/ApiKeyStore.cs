using System.Security.Cryptography;
using System.Text;
using CsMetrics.Contracts.Keys;
using CsMetrics.Server.Hosting;
using Microsoft.Extensions.Options;

namespace CsMetrics.Server.Auth;

[Flags]
public enum ApiScope
{
    None = 0,
    Ingest = 1,
    Read = 2,
    Admin = 4,
}

/// <summary>What a key may do. <see cref="Owner"/> restricts reads to one CSM's accounts.</summary>
public sealed record ApiKeyInfo(string Id, string Name, ApiScope Scopes, string? Owner, bool Managed);

/// <summary>
/// The API keys this server accepts: those of CSMETRICS_API_KEYS (or the generated admin key)
/// and those managed through <c>/api/v1/keys</c>, which live (as hashes) in the
/// <see cref="IApiKeyRegistry"/> grain and are cached here. Keys are held only as SHA-256 hashes:
/// a presented key is hashed and looked up by hash, so no comparison ever runs over the secret
/// itself (nothing to time), and a memory dump shows no usable key.
/// </summary>
public sealed class ApiKeyStore
{
    public const string GeneratedKeyFile = "admin.key";

    private readonly Dictionary<string, ApiKeyInfo> _configured = new(StringComparer.Ordinal);
    private volatile Dictionary<string, ApiKeyInfo> _managed = new(StringComparer.Ordinal);

    public ApiKeyStore(IOptions<CsMetricsOptions> options, ILogger<ApiKeyStore> logger)
    {
        var o = options.Value;
        if (!string.IsNullOrWhiteSpace(o.ApiKeys))
        {
            int n = 0;
            foreach (var entry in o.ApiKeys.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                int colon = entry.LastIndexOf(':');
                if (colon <= 0 || colon == entry.Length - 1)
                {
                    throw new InvalidOperationException($"CSMETRICS_API_KEYS entry #{n + 1} is not 'key:scope[+scope]'.");
                }
                var scopes = ParseScopes(entry[(colon + 1)..]) ?? throw new InvalidOperationException(
                    $"CSMETRICS_API_KEYS entry #{n + 1} has an unknown scope; use ingest, read, admin joined by '+'.");
                n++;
                _configured[Hash(entry[..colon])] = new ApiKeyInfo($"env-{n}", $"env-{n}", scopes, null, Managed: false);
            }
            logger.LogInformation("Loaded {Count} API keys from configuration", n);
            return;
        }

        string dir = Path.GetFullPath(o.DataDir);
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, GeneratedKeyFile);
        if (!File.Exists(path))
        {
            string key = NewSecret();
            File.WriteAllText(path, key + "\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            logger.LogWarning("No CSMETRICS_API_KEYS configured: generated an admin API key and stored it in {Path}", path);
        }
        else
        {
            logger.LogInformation("No CSMETRICS_API_KEYS configured: using the admin API key stored in {Path}", path);
        }
        _configured[Hash(File.ReadAllText(path).Trim())] = new ApiKeyInfo("generated-admin", "generated-admin", ApiScope.Admin, null, Managed: false);
    }

    public ApiKeyInfo? Find(string presentedKey)
    {
        if (presentedKey.Length is 0 or > 512)
        {
            return null;
        }
        // Looked up by SHA-256 hash: how long the lookup takes depends on the hash, which tells
        // an attacker nothing usable about any key (docs/security.md).
        string hash = Hash(presentedKey);
        return _configured.TryGetValue(hash, out var info) || _managed.TryGetValue(hash, out info) ? info : null;
    }

    public IEnumerable<ApiKeyInfo> Configured => _configured.Values;

    /// <summary>Replaces the cached managed keys; returns the ids that disappeared (revoked).</summary>
    public IReadOnlyList<string> UseManaged(IEnumerable<StoredApiKey> keys)
    {
        var next = new Dictionary<string, ApiKeyInfo>(StringComparer.Ordinal);
        foreach (var k in keys)
        {
            next[k.Hash] = new ApiKeyInfo(k.Id, k.Name, ParseScopes(string.Join('+', k.Scopes)) ?? ApiScope.None, k.Owner, Managed: true);
        }
        var gone = _managed.Values.Select(v => v.Id).Except(next.Values.Select(v => v.Id)).ToList();
        _managed = next;
        return gone;
    }

    public static string NewSecret() => "csm_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    public static string Hash(string key) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public static ApiScope? ParseScopes(string text)
    {
        var scopes = ApiScope.None;
        foreach (var part in text.Split('+', StringSplitOptions.TrimEntries))
        {
            switch (part)
            {
                case "ingest": scopes |= ApiScope.Ingest; break;
                case "read": scopes |= ApiScope.Read; break;
                case "admin": scopes |= ApiScope.Admin; break;
                default: return null;
            }
        }
        return scopes == ApiScope.None ? null : scopes;
    }
}
