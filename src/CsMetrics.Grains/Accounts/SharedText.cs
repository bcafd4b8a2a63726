using System.Collections.Concurrent;

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

    private static ConcurrentDictionary<string, string> s_texts = new(StringComparer.Ordinal);
    private static int s_count;

    public static string Of(string text)
    {
        if (text.Length > MaxLength)
        {
            return text;
        }
        var texts = s_texts;
        if (texts.TryGetValue(text, out var shared))
        {
            return shared;
        }
        if (Interlocked.Increment(ref s_count) > MaxEntries)
        {
            // Start over. Racing callers may add to the pool being replaced; they still get a
            // correct text, only not a shared one.
            texts = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
            s_texts = texts;
            Interlocked.Exchange(ref s_count, 1);
        }
        return texts.GetOrAdd(text, text);
    }

    public static string? OfNullable(string? text) => text is null ? null : Of(text);
}
