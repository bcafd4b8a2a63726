using CsMetrics.Contracts.Index;
using CsMetrics.Grains.Accounts;

namespace CsMetrics.Grains.Index;

[GenerateSerializer, Alias("csm.IndexShardState")]
public sealed class IndexShardState
{
    [Id(0)] public List<IndexEntry> Entries { get; set; } = [];
}

/// <summary>
/// One shard of the cross-account listing: entries by id plus an ordered set by (score, id), so
/// a "worst first" page is a walk from the start of the set, not a sort. Checkpointed with the
/// accounts by the checkpointer; account grains re-report on every score change.
/// </summary>
public sealed class AccountIndexShardGrain(
    [PersistentState("shard", StorageNames.Index)] IPersistentState<IndexShardState> state)
    : Grain, IAccountIndexShard
{
    private readonly Dictionary<string, IndexEntry> _byId = new(StringComparer.Ordinal);
    private readonly SortedSet<IndexEntry> _ordered = new(WorstFirst.Instance);
    private bool _dirty;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (var e in state.State.Entries)
        {
            _byId[e.AccountId] = e;
            _ordered.Add(e);
        }
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await Checkpoint();
    }

    public Task Upsert(IndexEntry entry)
    {
        if (_byId.TryGetValue(entry.AccountId, out var old))
        {
            if (old == entry)
            {
                return Task.CompletedTask;
            }
            _ordered.Remove(old);
        }
        _byId[entry.AccountId] = entry;
        _ordered.Add(entry);
        _dirty = true;
        return Task.CompletedTask;
    }

    public Task<IndexPage> Query(IndexQuery query)
    {
        var page = new List<IndexEntry>(Math.Min(query.Take, 1024));
        int total = 0;
        foreach (var e in _ordered)
        {
            if (query.Owner is { } owner && e.Owner != owner)
            {
                continue;
            }
            if (query.Segment is { } segment && e.Segment != segment)
            {
                continue;
            }
            if (query.Band is { } band && e.Band != band)
            {
                continue;
            }
            total++;
            if (page.Count < query.Take)
            {
                page.Add(e);
            }
        }
        return Task.FromResult(new IndexPage([.. page], total));
    }

    public async Task Checkpoint()
    {
        if (!_dirty)
        {
            return;
        }
        state.State.Entries = [.. _byId.Values];
        await state.WriteStateAsync();
        _dirty = false;
    }
}

/// <summary>Scored accounts by score ascending, then unscored ones; ties by id for a stable order.</summary>
public sealed class WorstFirst : IComparer<IndexEntry>
{
    public static readonly WorstFirst Instance = new();

    public int Compare(IndexEntry? x, IndexEntry? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }
        if (x is null)
        {
            return -1;
        }
        if (y is null)
        {
            return 1;
        }
        int c = (x.Score ?? double.MaxValue).CompareTo(y.Score ?? double.MaxValue);
        return c != 0 ? c : string.CompareOrdinal(x.AccountId, y.AccountId);
    }
}
