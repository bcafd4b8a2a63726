using CsMetrics.Scoring.Scorecards;
using Microsoft.Extensions.Options;

namespace CsMetrics.Grains.Scorecards;

public sealed class ScorecardOptions
{
    public const string Section = "CsMetrics:Scorecard";

    /// <summary>The scorecard file; relative paths resolve against the app's base directory.</summary>
    public string Path { get; set; } = "config/scorecard.default.json";
}

/// <summary>
/// The active scorecard, held by every silo. Account grains read it on each evaluation; it is
/// immutable, so a swap to a new version is one reference assignment.
/// </summary>
public sealed class ScorecardRegistry
{
    private Scorecard _current;

    public ScorecardRegistry(IOptions<ScorecardOptions> options)
    {
        string path = options.Value.Path;
        if (!System.IO.Path.IsPathRooted(path))
        {
            string candidate = System.IO.Path.Combine(AppContext.BaseDirectory, path);
            path = File.Exists(candidate) ? candidate : System.IO.Path.GetFullPath(path);
        }
        _current = ScorecardParser.Parse(File.ReadAllText(path), version: 1);
        SourceJson = File.ReadAllText(path);
    }

    public ScorecardRegistry(Scorecard scorecard, string sourceJson)
    {
        _current = scorecard;
        SourceJson = sourceJson;
    }

    public Scorecard Current => Volatile.Read(ref _current);

    private readonly SemaphoreSlim _sync = new(1, 1);

    /// <summary>
    /// Makes this silo's scorecard the cluster's active one. At first start of a cluster the file's
    /// scorecard becomes version 1; after that the stored version wins over the file.
    /// </summary>
    public async Task SyncAsync(IGrainFactory grains, bool initialize = false)
    {
        await _sync.WaitAsync();
        try
        {
            var grain = grains.GetGrain<Contracts.Scorecards.IScorecardGrain>(0);
            var active = initialize ? await grain.Initialize(SourceJson) : await grain.GetActive();
            if (active is not null && active.Version != Current.Version)
            {
                Use(active);
            }
        }
        finally
        {
            _sync.Release();
        }
    }

    /// <summary>Refreshes from the cluster if this silo is behind <paramref name="minVersion"/>.</summary>
    public Task EnsureVersionAsync(IGrainFactory grains, int minVersion) =>
        Current.Version >= minVersion ? Task.CompletedTask : SyncAsync(grains);

    public void Use(Contracts.Scorecards.ScorecardDocument document)
    {
        var card = ScorecardParser.Parse(document.Json, document.Version);
        SourceJson = document.Json;
        Volatile.Write(ref _current, card);
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Scorecard> _parsed = new(StringComparer.Ordinal);

    /// <summary>A proposed scorecard, parsed once per silo however many accounts preview it.</summary>
    public Scorecard ParseCached(string json)
    {
        if (_parsed.Count > 16)
        {
            _parsed.Clear();
        }
        return _parsed.GetOrAdd(json, static j => ScorecardParser.Parse(j, version: 0));
    }

    /// <summary>The document the active scorecard was read from.</summary>
    public string SourceJson { get; private set; }
}
