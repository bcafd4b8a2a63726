using CsMetrics.Scoring.Metrics;

namespace CsMetrics.Grains.Accounts;

/// <summary>
/// Per-thread maps for the metrics publish, which builds an account's facts, diffs them with what
/// it sent and encodes the difference: before, each publish allocated both maps (with the
/// activity arrays they are built from, about a tenth of the engine's allocated bytes). They are
/// valid only until the thread's next await; the metrics shard that receives the publish decodes
/// it into <see cref="Decoded"/> the same way. The baseline an account keeps between its first
/// change and its publish is not one of these: a publish window has thousands of them
/// outstanding, and a few spares per thread covered almost none; they come from
/// <see cref="FactBaselinePool"/>.
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
