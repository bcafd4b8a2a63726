using CsMetrics.Contracts.Metrics;
using CsMetrics.Grains.Accounts;
using CsMetrics.Scoring.Metrics;

namespace CsMetrics.Grains.Metrics;

[GenerateSerializer, Alias("csm.MetricsShardState")]
public sealed class MetricsShardState
{
    /// <summary>The (segment, owner) groups and their facts in <see cref="MetricFacts"/> binary form.</summary>
    [Id(0)] public byte[]? Groups { get; set; }
    /// <summary>The rebuild epoch the sums belong to (0 until the first rebuild).</summary>
    [Id(1)] public long Epoch { get; set; }
}

/// <summary>
/// Holds the summed facts of its accounts, bucketed by (kind, day, label) (<see cref="FactTable"/>):
/// per (segment, owner), and the same sums rolled up per segment, per owner and over all, so
/// that every query shape reads exactly one table per shard. A table's size grows with days ×
/// distinct fact keys, not with accounts. Only the (segment, owner) groups are persisted; the
/// roll-ups are rebuilt on activation. Checkpointed with the accounts by the checkpointer.
/// </summary>
// Kept alive: a fixed number of shards holds the whole portfolio, and every live view reads
// them. Shedding one under memory pressure (MemoryOptions) frees nothing for long: it would be
// reloaded with the next account that reports, after writing and reading its whole state.
[KeepAlive]
public sealed class MetricsShardGrain(
    [PersistentState("metrics", StorageNames.Index)] IPersistentState<MetricsShardState> state)
    : Grain, IMetricsShard
{
    private readonly Dictionary<(string Segment, string Owner), FactTable> _groups = [];
    private readonly Dictionary<string, FactTable> _bySegment = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FactTable> _byOwner = new(StringComparer.Ordinal);
    private FactTable _all = new();
    private bool _dirty;
    private long _epoch;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _epoch = state.State.Epoch;
        if (state.State.Groups is { Length: > 0 } bytes)
        {
            using var ms = new MemoryStream(bytes, writable: false);
            using var r = new BinaryReader(ms, System.Text.Encoding.UTF8);
            int groups = r.ReadInt32();
            for (int i = 0; i < groups; i++)
            {
                string segment = r.ReadString(), owner = r.ReadString();
                AddInto(segment, owner, MetricFacts.Read(r), +1);
            }
        }
        _dirty = false;
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => Checkpoint();

    public Task<long> Add(string segment, string owner, byte[] facts, long epoch)
    {
        if (Accepts(epoch))
        {
            // Decoded into this thread's scratch map and added to the sums before anything awaits.
            AddInto(segment, owner, MetricFacts.Decode(facts, Accounts.FactScratch.Decoded), +1);
        }
        return Task.FromResult(_epoch);
    }

    public Task<long> Move(string fromSegment, string fromOwner, byte[] oldFacts, string toSegment, string toOwner, byte[] newFacts, long epoch)
    {
        if (Accepts(epoch))
        {
            AddInto(fromSegment, fromOwner, MetricFacts.Decode(oldFacts, Accounts.FactScratch.Decoded), -1);
            AddInto(toSegment, toOwner, MetricFacts.Decode(newFacts, Accounts.FactScratch.Decoded), +1);
        }
        return Task.FromResult(_epoch);
    }

    /// <summary>
    /// The epoch rule. The sums are those of the messages of the shard's epoch only: an older
    /// message is a delta against sums a rebuild threw away (its account republishes in full
    /// when the rebuild reaches it), so it is dropped. A newer one means a rebuild is under way
    /// whose reset has not reached this shard yet (or never will: its coordinator died):
    /// everything held belongs to older epochs, so the shard resets itself to it first. Either
    /// way the sums stay the sum, over the accounts of the shard's epoch, of what each sent since
    /// entering it, which is its full facts.
    /// </summary>
    private bool Accepts(long epoch)
    {
        if (epoch < _epoch)
        {
            return false;
        }
        if (epoch > _epoch)
        {
            Clear(epoch);
        }
        return true;
    }

    public async Task Reset(long epoch)
    {
        if (epoch <= _epoch)
        {
            return; // already there (a retried or coalesced rebuild), or a rebuild that was overtaken
        }
        Clear(epoch);
        // Written at once: a shard that came back with old sums after the reset would mix epochs.
        await Checkpoint();
    }

    public Task<long> GetEpoch() => Task.FromResult(_epoch);

    private void Clear(long epoch)
    {
        _groups.Clear();
        _bySegment.Clear();
        _byOwner.Clear();
        _all = new FactTable();
        _epoch = epoch;
        _dirty = true;
    }

    private void AddInto(string segment, string owner, Dictionary<FactKey, decimal> facts, int sign)
    {
        if (facts.Count == 0)
        {
            return;
        }
        AddTo(_groups, (segment, owner), facts, sign);
        AddTo(_bySegment, segment, facts, sign);
        AddTo(_byOwner, owner, facts, sign);
        _all.Add(facts, sign);
        _dirty = true;
    }

    private static void AddTo<TKey>(Dictionary<TKey, FactTable> tables, TKey key, Dictionary<FactKey, decimal> facts, int sign) where TKey : notnull
    {
        if (!tables.TryGetValue(key, out var table))
        {
            table = new FactTable();
            tables[key] = table;
        }
        table.Add(facts, sign);
        if (table.IsEmpty)
        {
            tables.Remove(key);
        }
    }

    public Task<byte[]> Query(MetricsQuery query)
    {
        var period = PeriodFacts.Empty(query.FromDay, query.ToDay);
        switch (query.Segment, query.Owner)
        {
            case (null, null):
                period.Add(_all, segment: null);
                foreach (var (segment, table) in _bySegment)
                {
                    period.AddSegmentSentiment(table, segment);
                }
                break;
            case ({ } segment, null):
                if (_bySegment.TryGetValue(segment, out var bySegment))
                {
                    period.Add(bySegment, segment);
                }
                break;
            case (null, { } owner):
                if (_byOwner.TryGetValue(owner, out var byOwner))
                {
                    period.Add(byOwner, segment: null);
                    foreach (var ((segment, groupOwner), table) in _groups)
                    {
                        if (groupOwner == owner)
                        {
                            period.AddSegmentSentiment(table, segment);
                        }
                    }
                }
                break;
            case ({ } segment, { } owner):
                if (_groups.TryGetValue((segment, owner), out var group))
                {
                    period.Add(group, segment);
                }
                break;
        }
        return Task.FromResult(period.ToBytes());
    }

    public async Task Checkpoint()
    {
        if (!_dirty)
        {
            return;
        }
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(_groups.Count);
            foreach (var ((segment, owner), facts) in _groups)
            {
                w.Write(segment);
                w.Write(owner);
                MetricFacts.Write(w, facts.Facts().ToList());
            }
        }
        state.State.Groups = ms.ToArray();
        state.State.Epoch = _epoch;
        _dirty = false;
        await state.WriteStateAsync();
    }
}
