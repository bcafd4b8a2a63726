using CsMetrics.Contracts.Metrics;
using CsMetrics.Grains.Accounts;
using CsMetrics.Scoring.Metrics;

namespace CsMetrics.Grains.Metrics;

[GenerateSerializer, Alias("csm.MetricsShardState")]
public sealed class MetricsShardState
{
    /// <summary>The (segment, owner) groups and their facts in <see cref="MetricFacts"/> binary form.</summary>
    [Id(0)] public byte[]? Groups { get; set; }
}

/// <summary>
/// Holds the summed facts of its accounts, bucketed by (kind, day, label) (<see cref="FactTable"/>):
/// per (segment, owner), and the same sums rolled up per segment, per owner and over all, so
/// that every query shape reads exactly one table per shard. A table's size grows with days ×
/// distinct fact keys, not with accounts. Only the (segment, owner) groups are persisted; the
/// roll-ups are rebuilt on activation. Checkpointed with the accounts by the checkpointer.
/// </summary>
public sealed class MetricsShardGrain(
    [PersistentState("metrics", StorageNames.Index)] IPersistentState<MetricsShardState> state)
    : Grain, IMetricsShard
{
    private readonly Dictionary<(string Segment, string Owner), FactTable> _groups = [];
    private readonly Dictionary<string, FactTable> _bySegment = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FactTable> _byOwner = new(StringComparer.Ordinal);
    private readonly FactTable _all = new();
    private bool _dirty;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
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

    public Task Add(string segment, string owner, byte[] facts)
    {
        AddInto(segment, owner, MetricFacts.Decode(facts), +1);
        return Task.CompletedTask;
    }

    public Task Move(string fromSegment, string fromOwner, byte[] oldFacts, string toSegment, string toOwner, byte[] newFacts)
    {
        AddInto(fromSegment, fromOwner, MetricFacts.Decode(oldFacts), -1);
        AddInto(toSegment, toOwner, MetricFacts.Decode(newFacts), +1);
        return Task.CompletedTask;
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
        _dirty = false;
        await state.WriteStateAsync();
    }
}
