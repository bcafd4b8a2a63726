using CsMetrics.Scoring.Metrics;

namespace CsMetrics.Grains.Accounts;

/// <summary>
/// Per-thread maps for the metrics publish, which builds an account's facts, diffs them with what
/// it sent and encodes the difference: before, each publish allocated both maps (with the
/// activity arrays they are built from, about a tenth of the engine's allocated bytes). They are
/// valid only until the thread's next await. The baseline an account keeps between its first
/// change and its publish stays its own map: a publish window has thousands of them outstanding,
/// and a few spares per thread were measured to cover almost none (the publish queue finishes
/// them in bursts).
/// </summary>
internal static class FactScratch
{
    /// <summary>Maps above this many facts are not kept: one big account must not pin its map on every thread.</summary>
    private const int MaxKept = 4_096;

    [ThreadStatic] private static Dictionary<FactKey, decimal>? t_current;
    [ThreadStatic] private static Dictionary<FactKey, decimal>? t_delta;
    [ThreadStatic] private static Dictionary<FactKey, decimal>? t_decoded;

    public static Dictionary<FactKey, decimal> Current => Trimmed(ref t_current);

    public static Dictionary<FactKey, decimal> Delta => Trimmed(ref t_delta);

    /// <summary>A metrics shard's decoded publish, added to its sums within the same synchronous stretch.</summary>
    public static Dictionary<FactKey, decimal> Decoded => Trimmed(ref t_decoded);

    private static Dictionary<FactKey, decimal> Trimmed(ref Dictionary<FactKey, decimal>? slot)
    {
        if (slot is null || slot.Count > MaxKept)
        {
            slot = new Dictionary<FactKey, decimal>();
        }
        return slot;
    }
}

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
