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

    /// <summary>Configured keys (few): hash bytes and what the key may do.</summary>
    private readonly List<(byte[] Hash, ApiKeyInfo Info)> _configured = [];
    /// <summary>API-managed keys by their id (which the key itself carries), with their hash.</summary>
    private volatile Dictionary<string, (byte[] Hash, ApiKeyInfo Info)> _managed = new(StringComparer.Ordinal);

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
                _configured.Add((HashBytes(entry[..colon]), new ApiKeyInfo($"env-{n}", $"env-{n}", scopes, null, Managed: false)));
            }
            logger.LogInformation("Loaded {Count} API keys from configuration", n);
            return;
        }

        string dir = Path.GetFullPath(o.DataDir);
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, GeneratedKeyFile);
        if (!File.Exists(path))
        {
            string key = "csm_admin_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
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
        _configured.Add((HashBytes(File.ReadAllText(path).Trim()), new ApiKeyInfo("generated-admin", "generated-admin", ApiScope.Admin, null, Managed: false)));
    }

    public ApiKeyInfo? Find(string presentedKey)
    {
        if (presentedKey.Length is 0 or > 512)
        {
            return null;
        }
        // Every check is a constant-time comparison of SHA-256 hashes: an API-managed key names
        // its record (csm_<id>_<secret>), whose hash is then compared; configured keys (a handful)
        // are all compared, without stopping at the first match.
        byte[] presented = HashBytes(presentedKey);
        if (TryParseManaged(presentedKey, out string id) && _managed.TryGetValue(id, out var managed))
        {
            return CryptographicOperations.FixedTimeEquals(presented, managed.Hash) ? managed.Info : null;
        }
        ApiKeyInfo? match = null;
        foreach (var (hash, info) in _configured)
        {
            if (CryptographicOperations.FixedTimeEquals(presented, hash))
            {
                match = info;
            }
        }
        return match;
    }

    public IEnumerable<ApiKeyInfo> Configured => _configured.Select(c => c.Info);

    /// <summary>Replaces the cached managed keys; returns the ids that disappeared (revoked).</summary>
    public IReadOnlyList<string> UseManaged(IEnumerable<StoredApiKey> keys)
    {
        var next = new Dictionary<string, (byte[], ApiKeyInfo)>(StringComparer.Ordinal);
        foreach (var k in keys)
        {
            next[k.Id] = (Convert.FromHexString(k.Hash), new ApiKeyInfo(k.Id, k.Name, ParseScopes(string.Join('+', k.Scopes)) ?? ApiScope.None, k.Owner, Managed: true));
        }
        var gone = _managed.Keys.Except(next.Keys).ToList();
        _managed = next;
        return gone;
    }

    /// <summary>A new managed key's id and secret: <c>csm_&lt;12 hex&gt;_&lt;48 hex&gt;</c>, 192 random bits.</summary>
    public static (string Id, string Secret) NewManagedKey()
    {
        string id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        return ("key_" + id, $"csm_{id}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24))}");
    }

    private static bool TryParseManaged(string key, out string id)
    {
        id = "";
        if (key.Length == 4 + 12 + 1 + 48 && key.StartsWith("csm_", StringComparison.Ordinal) && key[16] == '_')
        {
            id = "key_" + key[4..16];
            return true;
        }
        return false;
    }

    public static byte[] HashBytes(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

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
