using System.Collections.Concurrent;

namespace CsMetrics.Scoring.Signals;

/// <summary>
/// One shared copy of short texts that many accounts hold alike. Every signal arrives with its
/// own strings (parsed from JSON, or decoded from the ingest log), so without a pool each
/// resident account keeps private copies of the same words. Bounded: when the pool holds its
/// maximum it starts over (accounts keep the copies they have), so texts that never repeat
/// cannot grow it forever. Thread-safe; a lookup of a pooled text allocates nothing.
/// </summary>
public sealed class StringPool(int maxEntries, int maxLength)
{
    /// <summary>
    /// The words accounts share: feature names, ticket tags, help article ids — a product's
    /// vocabulary, stored by every account that uses them (a feature name ~50 bytes, for each
    /// feature of each resident account; a tag for each ticket of the account's history).
    /// </summary>
    public static StringPool Vocabulary { get; } = new(16_384, 128);

    private ConcurrentDictionary<string, string> _texts = new(StringComparer.Ordinal);
    private int _count;

    public int MaxEntries => maxEntries;

    /// <summary>Texts longer than this are returned as they are: rare, and not worth hashing.</summary>
    public int MaxLength => maxLength;

    /// <summary>The pooled copy of <paramref name="text"/> (added if new).</summary>
    public string Of(string text)
    {
        if (text.Length > maxLength)
        {
            return text;
        }
        var texts = _texts;
        if (texts.TryGetValue(text, out var shared))
        {
            return shared;
        }
        if (Interlocked.Increment(ref _count) > maxEntries)
        {
            // Start over. Racing callers may add to the pool being replaced; they still get a
            // correct text, only not a shared one.
            texts = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
            _texts = texts;
            Interlocked.Exchange(ref _count, 1);
        }
        return texts.GetOrAdd(text, text);
    }
}
