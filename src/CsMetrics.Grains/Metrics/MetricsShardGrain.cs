using CsMetrics.Contracts.Metrics;
using CsMetrics.Grains.Accounts;
using CsMetrics.Scoring.Metrics;

namespace CsMetrics.Grains.Metrics;

[GenerateSerializer, Alias("csm.MetricsShardState")]
public sealed class MetricsShardState
{
    /// <summary>The groups and their facts in <see cref="MetricFacts"/> binary form.</summary>
    [Id(0)] public byte[]? Groups { get; set; }
}

/// <summary>
/// Holds the summed facts of its accounts per (segment, owner). Its size grows with days ×
/// distinct fact keys, not with accounts: 100k accounts add into the same day keys. Checkpointed
/// with the accounts by the checkpointer (and on deactivation).
/// </summary>
public sealed class MetricsShardGrain(
    [PersistentState("metrics", StorageNames.Index)] IPersistentState<MetricsShardState> state)
    : Grain, IMetricsShard
{
    private readonly Dictionary<(string Segment, string Owner), Dictionary<FactKey, decimal>> _groups = [];
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
                var key = (r.ReadString(), r.ReadString());
                _groups[key] = MetricFacts.Read(r);
            }
        }
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
        if (!_groups.TryGetValue((segment, owner), out var group))
        {
            group = [];
            _groups[(segment, owner)] = group;
        }
        MetricFacts.AddInto(group, facts, sign);
        if (group.Count == 0)
        {
            _groups.Remove((segment, owner));
        }
        _dirty = true;
    }

    public Task<byte[]> Query(MetricsQuery query)
    {
        var period = PeriodFacts.Empty(query.FromDay, query.ToDay);
        foreach (var ((segment, owner), facts) in _groups)
        {
            if ((query.Segment is null || query.Segment == segment) && (query.Owner is null || query.Owner == owner))
            {
                period.Add(facts, segment);
            }
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
                MetricFacts.Write(w, facts);
            }
        }
        state.State.Groups = ms.ToArray();
        _dirty = false;
        await state.WriteStateAsync();
    }
}
