using System.Text;
using System.Text.Json;
using CsMetrics.Scoring.Signals;
using CsMetrics.Server.Ingest;
using StackExchange.Redis;

namespace CsMetrics.Server.Integrations;

/// <summary>What one stream entry holds: signals to ingest, or why it cannot be read.</summary>
public sealed record RedisEntryContent(IReadOnlyList<Signal> Signals, string? Error);

/// <summary>
/// Reads one Redis stream entry: a field <c>signals</c> holding exactly the HTTP ingest body
/// (<c>{"signals":[…]}</c>) or a field <c>signal</c> holding one signal object, validated by
/// the same <see cref="SignalBatchParser"/> as <c>POST /api/v1/signals</c>: all or nothing.
/// </summary>
public static class RedisStreamEntryReader
{
    public const string SignalsField = "signals";
    public const string SignalField = "signal";
    private const int MaxErrorsShown = 5;

    public static RedisEntryContent Read(StreamEntry entry, int maxSignals, long maxBytes, DateTimeOffset now)
    {
        RedisValue batch = RedisValue.Null, single = RedisValue.Null;
        foreach (var field in entry.Values)
        {
            if (field.Name == SignalsField)
            {
                batch = field.Value;
            }
            else if (field.Name == SignalField)
            {
                single = field.Value;
            }
        }
        if (batch.IsNull == single.IsNull)
        {
            return Fail(batch.IsNull
                ? "the entry needs a field 'signals' ({\"signals\":[…]}, as the HTTP ingest body) or 'signal' (one signal object)"
                : "the entry has both 'signals' and 'signal'; send one of them");
        }
        byte[] bytes = batch.IsNull ? (byte[])single! : (byte[])batch!;
        if (bytes.LongLength > maxBytes)
        {
            return Fail($"the entry's {bytes.LongLength} bytes exceed the body limit of {maxBytes}; split the batch");
        }
        if (!batch.IsNull)
        {
            return Parse(bytes, maxSignals, now);
        }
        // One signal: it must be one JSON object before it is wrapped, or text like "{…},{…}" would smuggle in several.
        try
        {
            using var doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 16 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return Fail("signal must be one JSON object");
            }
        }
        catch (JsonException ex)
        {
            return Fail("signal is malformed JSON: " + ex.Message);
        }
        var wrapped = new byte[bytes.Length + 14];
        Encoding.ASCII.GetBytes("{\"signals\":[").CopyTo(wrapped, 0);
        bytes.CopyTo(wrapped, 12);
        Encoding.ASCII.GetBytes("]}").CopyTo(wrapped, 12 + bytes.Length);
        return Parse(wrapped, maxSignals, now);
    }

    private static RedisEntryContent Parse(byte[] body, int maxSignals, DateTimeOffset now)
    {
        var parsed = SignalBatchParser.Parse(body, maxSignals, now);
        if (parsed.Errors.Count == 0)
        {
            return new RedisEntryContent(parsed.Signals, null);
        }
        var shown = parsed.Errors.Take(MaxErrorsShown)
            .Select(e => $"{(e.Index is { } i ? $"signals[{i}].{e.Field}" : e.Field)} {e.Message}");
        string more = parsed.Errors.Count > MaxErrorsShown ? $" (+{parsed.Errors.Count - MaxErrorsShown} more)" : "";
        return Fail(string.Join("; ", shown) + more);
    }

    private static RedisEntryContent Fail(string error) => new([], error);
}
