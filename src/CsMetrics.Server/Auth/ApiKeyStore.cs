using System.Security.Cryptography;
using System.Text;
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

public sealed record ApiKeyInfo(string Name, ApiScope Scopes);

/// <summary>
/// The API keys this server accepts. Keys are held only as SHA-256 hashes: a presented key is
/// hashed and looked up, so no comparison ever runs over the secret itself, and a memory dump
/// shows no usable key. Keys come from CSMETRICS_API_KEYS; with none configured, an admin key
/// is generated at first start and stored (only) in the data folder.
/// </summary>
public sealed class ApiKeyStore
{
    public const string GeneratedKeyFile = "admin.key";

    private readonly Dictionary<string, ApiKeyInfo> _byHash = new(StringComparer.Ordinal);

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
                Add(entry[..colon], new ApiKeyInfo($"env-{++n}", scopes));
            }
            logger.LogInformation("Loaded {Count} API keys from configuration", n);
            return;
        }

        string dir = Path.GetFullPath(o.DataDir);
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, GeneratedKeyFile);
        if (!File.Exists(path))
        {
            string key = "csm_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
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
        Add(File.ReadAllText(path).Trim(), new ApiKeyInfo("generated-admin", ApiScope.Admin));
    }

    public void Add(string key, ApiKeyInfo info) => _byHash[Hash(key)] = info;

    public ApiKeyInfo? Find(string presentedKey) =>
        _byHash.TryGetValue(Hash(presentedKey), out var info) ? info : null;

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
