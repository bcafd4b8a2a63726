using CsMetrics.Scoring.Signals;

namespace CsMetrics.Grains.Accounts;

/// <summary>
/// One copy of the short texts that many accounts hold alike: a usage signal's summary ("usage of
/// reports.export") and most change reasons ("usage of api.call: adoption 25 → 50") come from a
/// small vocabulary of features, components and values, yet every account kept its own copy —
/// about 1 KB per resident account in the memory scenario. Bounded: texts with ids in them
/// ("ticket T-991 opened") never repeat and would grow the pool forever, so when it holds
/// <see cref="MaxEntries"/> texts it starts over (accounts keep the copies they have).
/// </summary>
public static class SharedText
{
    public const int MaxEntries = 16_384;
    /// <summary>Longer texts are kept as they are: rare, and not worth hashing.</summary>
    public const int MaxLength = 160;

    private static readonly StringPool s_texts = new(MaxEntries, MaxLength);

    public static string Of(string text) => s_texts.Of(text);

    public static string? OfNullable(string? text) => text is null ? null : Of(text);
}
