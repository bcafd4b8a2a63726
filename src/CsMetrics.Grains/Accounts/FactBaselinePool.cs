using CsMetrics.Scoring.Metrics;

namespace CsMetrics.Grains.Accounts;

/// <summary>
/// The maps an account keeps its facts in from its first change to its publish (the baseline
/// the publish diffs against), reused from one publish window to the next. They were a tenth of
/// the engine's allocated bytes (an allocation trace of steady rounds), and the worst kind for
/// the collector: each lives up to a publish window (1 s), long enough to be copied out of gen0
/// and often gen1, while tens of thousands are outstanding under load. Pooled, they stay in gen2
/// and a new window fills them again. Bounded in count and in size, so an idle server holds at
/// most a few tens of MB of them and one big account does not pin a big map.
/// </summary>
internal sealed class FactBaselinePool(int maxPooled = FactBaselinePool.DefaultMaxPooled, int maxFacts = FactBaselinePool.DefaultMaxFacts)
{
    public const int DefaultMaxPooled = 16_384;

    /// <summary>Maps that grew past this many facts are left to the collector.</summary>
    public const int DefaultMaxFacts = 1_024;

    public static FactBaselinePool Shared { get; } = new();

    private readonly Lock _lock = new();
    private Dictionary<FactKey, decimal>[] _pool = new Dictionary<FactKey, decimal>[64];
    private int _count;

    public int Pooled
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>An empty map: a pooled one if any, else a new one sized for <paramref name="capacityHint"/> facts.</summary>
    public Dictionary<FactKey, decimal> Rent(int capacityHint)
    {
        lock (_lock)
        {
            if (_count > 0)
            {
                var map = _pool[--_count];
                _pool[_count] = null!;
                return map;
            }
        }
        return new Dictionary<FactKey, decimal>(capacityHint);
    }

    /// <summary>Takes back a map its owner no longer refers to (it must not use it again).</summary>
    public void Return(Dictionary<FactKey, decimal> map)
    {
        if (map.Count > maxFacts)
        {
            return;
        }
        map.Clear();
        lock (_lock)
        {
            if (_count == maxPooled)
            {
                return;
            }
            if (_count == _pool.Length)
            {
                Array.Resize(ref _pool, Math.Min(maxPooled, _pool.Length * 2));
            }
            _pool[_count++] = map;
        }
    }
}
