using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static CsMetrics.Server.Tests.Fuzz.HostileValues;

namespace CsMetrics.Server.Tests.Fuzz;

/// <summary>
/// Writes and breaks JSON: a writer that honours the <see cref="HostileValues"/> markers (raw
/// literals, duplicate keys, raw bytes), tree mutations of valid documents, and byte-level damage.
/// </summary>
public static class HostileJson
{
    private static readonly JsonDocumentOptions Lenient = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = 256 };

    public static JsonNode ParseLenient(string json) => JsonNode.Parse(json, documentOptions: Lenient)!;

    // ---------------------------------------------------------------- writing

    public static string Write(JsonNode? node, Random r)
    {
        var sb = new StringBuilder();
        Write(sb, node, r);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, JsonNode? node, Random r)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject o:
                sb.Append('{');
                bool first = true;
                foreach (var (key, value) in o)
                {
                    if (!first)
                    {
                        sb.Append(',');
                    }
                    first = false;
                    int mark = key.IndexOf(DuplicateMark, StringComparison.Ordinal);
                    WriteString(sb, mark >= 0 ? key[..mark] : key, r);
                    sb.Append(':');
                    Write(sb, value, r);
                }
                sb.Append('}');
                break;
            case JsonArray a:
                sb.Append('[');
                for (int i = 0; i < a.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(',');
                    }
                    Write(sb, a[i], r);
                }
                sb.Append(']');
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                string s = v.GetValue<string>();
                if (s.StartsWith(Raw, StringComparison.Ordinal))
                {
                    sb.Append(s, Raw.Length, s.Length - Raw.Length);
                }
                else
                {
                    WriteString(sb, s, r);
                }
                break;
            default:
                sb.Append(node.ToJsonString());
                break;
        }
    }

    /// <summary>A JSON string literal: lone surrogates as \u escapes, placeholders kept (they become raw bytes), some characters escaped for no reason.</summary>
    private static void WriteString(StringBuilder sb, string s, Random r)
    {
        bool obfuscate = r.Chance(10);
        sb.Append('"');
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == '"')
            {
                sb.Append("\\\"");
            }
            else if (c == '\\')
            {
                sb.Append("\\\\");
            }
            else if (c < 0x20)
            {
                sb.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
            else if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                sb.Append(c).Append(s[i + 1]);
                i++;
            }
            else if (char.IsSurrogate(c) || (obfuscate && c < 0xE000 && r.Chance(30)))
            {
                sb.Append("\\u").Append(((int)c).ToString(r.Chance(50) ? "X4" : "x4", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(c);
            }
        }
        sb.Append('"');
    }

    /// <summary>UTF-8, except that U+E000–U+E0FF become the raw bytes 0x00–0xFF.</summary>
    public static byte[] Encode(string text)
    {
        var bytes = new List<byte>(text.Length + 16);
        int start = 0;
        for (int i = 0; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] is >= '\uE000' and <= '\uE0FF')
            {
                if (i > start)
                {
                    bytes.AddRange(Encoding.UTF8.GetBytes(text.Substring(start, i - start)));
                }
                if (i < text.Length)
                {
                    bytes.Add((byte)(text[i] - 0xE000));
                }
                start = i + 1;
            }
        }
        return bytes.ToArray();
    }

    // ---------------------------------------------------------------- tree mutations

    private readonly record struct Slot(JsonNode Container, string? Key, int Index);

    private static List<Slot> Slots(JsonNode root)
    {
        var slots = new List<Slot>();
        void Walk(JsonNode node)
        {
            if (node is JsonObject o)
            {
                foreach (var (k, v) in o.ToArray())
                {
                    slots.Add(new Slot(o, k, -1));
                    if (v is not null)
                    {
                        Walk(v);
                    }
                }
            }
            else if (node is JsonArray a)
            {
                for (int i = 0; i < a.Count; i++)
                {
                    slots.Add(new Slot(a, null, i));
                    if (a[i] is { } child)
                    {
                        Walk(child);
                    }
                }
            }
        }
        Walk(root);
        return slots;
    }

    private static JsonNode? Get(Slot s) => s.Key is not null ? s.Container.AsObject()[s.Key] : s.Container.AsArray()[s.Index];

    private static void Set(Slot s, JsonNode? value)
    {
        if (s.Key is not null)
        {
            s.Container.AsObject()[s.Key] = value;
        }
        else
        {
            s.Container.AsArray()[s.Index] = value;
        }
    }

    /// <summary>One structural mutation somewhere in the tree (in place); returns what it did.</summary>
    public static string MutateOnce(JsonNode root, Random r)
    {
        var slots = Slots(root);
        if (slots.Count == 0)
        {
            if (root is JsonObject ro)
            {
                ro[r.Pick(FieldNames)] = Value(r);
                return "added a field to an empty object";
            }
            if (root is JsonArray ra)
            {
                ra.Add(Value(r));
                return "added an element to an empty array";
            }
            return "nothing to mutate";
        }
        var slot = r.Pick(slots);
        var current = Get(slot);
        switch (r.Next(12))
        {
            case 0:
            case 1:
            case 2:
                Set(slot, Value(r));
                return $"replaced {Where(slot)} with a hostile value";
            case 3:
                Set(slot, WrongType(current, r));
                return $"changed the type of {Where(slot)}";
            case 4:
                if (slot.Key is not null)
                {
                    slot.Container.AsObject().Remove(slot.Key);
                }
                else
                {
                    slot.Container.AsArray().RemoveAt(slot.Index);
                }
                return $"removed {Where(slot)}";
            case 5:
                if (slot.Key is not null)
                {
                    // Same key again: first or last wins, depending on who reads it.
                    var o = slot.Container.AsObject();
                    o[slot.Key + DuplicateMark + r.Next(1_000_000).ToString(CultureInfo.InvariantCulture)] = r.Chance(50) ? Value(r) : current?.DeepClone();
                    return $"duplicated key {Short(slot.Key)}";
                }
                slot.Container.AsArray().Add(current?.DeepClone());
                return "duplicated an array element";
            case 6:
                if (slot.Key is not null)
                {
                    var o = slot.Container.AsObject();
                    string renamed = r.Next(7) switch
                    {
                        0 => slot.Key.ToUpperInvariant(),
                        1 => slot.Key + "\u0000",
                        2 => slot.Key + "\u200B",
                        3 => " " + slot.Key,
                        4 => slot.Key + "\uD800", // written as an escaped lone surrogate
                        5 => slot.Key + Bytes(0xC3, 0x28), // invalid UTF-8 in the name
                        _ => slot.Key.Length > 0 ? char.ToUpperInvariant(slot.Key[0]) + slot.Key[1..] : "X",
                    };
                    o.Remove(slot.Key);
                    if (!o.ContainsKey(renamed))
                    {
                        o[renamed] = current;
                    }
                    return $"renamed key {Short(slot.Key)}";
                }
                Set(slot, new JsonArray(current?.DeepClone()));
                return "wrapped an element in an array";
            case 7:
                Set(slot, JsonValue.Create(String(r)));
                return $"set {Where(slot)} to a hostile string";
            case 8:
                Set(slot, RawJson(r.Pick(NumberLiterals)));
                return $"set {Where(slot)} to a number literal";
            case 9:
                if (current is JsonValue cv && cv.GetValueKind() == JsonValueKind.String && !cv.GetValue<string>().StartsWith(Raw, StringComparison.Ordinal))
                {
                    string s = cv.GetValue<string>();
                    int at = r.Next(s.Length + 1);
                    Set(slot, JsonValue.Create(s[..at] + (r.Chance(50) ? r.Pick(InvalidUtf8) : r.Pick(Unicode)) + s[at..]));
                    return $"spliced bad text into {Where(slot)}";
                }
                Set(slot, JsonValue.Create("x" + r.Pick(InvalidUtf8)));
                return $"set {Where(slot)} to invalid UTF-8";
            case 10:
                var container = slot.Container;
                if (container is JsonObject co)
                {
                    string key = r.Pick(FieldNames);
                    co[co.ContainsKey(key) ? key + DuplicateMark + "x" : key] = Value(r);
                    return $"added field {key}";
                }
                container.AsArray().Insert(r.Next(container.AsArray().Count + 1), Value(r));
                return "inserted a hostile element";
            default:
                Set(slot, r.Chance(50) ? null : RawJson(DeepNesting(r, r.Chance(50) ? 1_000 : 70)));
                return $"set {Where(slot)} to {(Get(slot) is null ? "null" : "deep nesting")}";
        }
    }

    private static string Where(Slot s) => s.Key is not null ? Short(s.Key) : $"[{s.Index}]";

    private static string Short(string s) => s.Length <= 24 ? s : s[..24] + "…";

    public static JsonNode? WrongType(JsonNode? current, Random r)
    {
        var kind = current?.GetValueKind() ?? JsonValueKind.Null;
        return kind switch
        {
            JsonValueKind.String => r.Next(4) switch { 0 => JsonValue.Create(42), 1 => new JsonArray(current!.DeepClone()), 2 => new JsonObject { ["value"] = current!.DeepClone() }, _ => null },
            JsonValueKind.Number => r.Next(4) switch { 0 => JsonValue.Create(current!.ToJsonString()), 1 => new JsonArray(current!.DeepClone()), 2 => new JsonObject(), _ => JsonValue.Create(true) },
            JsonValueKind.Array => r.Next(3) switch { 0 => JsonValue.Create("[]"), 1 => new JsonObject(), _ => JsonValue.Create(0) },
            JsonValueKind.Object => r.Next(3) switch { 0 => new JsonArray(), 1 => JsonValue.Create("{}"), _ => JsonValue.Create(1) },
            JsonValueKind.True or JsonValueKind.False => JsonValue.Create("true"),
            _ => r.Next(3) switch { 0 => JsonValue.Create(""), 1 => new JsonArray(), _ => JsonValue.Create(0) },
        };
    }

    // ---------------------------------------------------------------- byte damage

    public static byte[] Truncate(byte[] bytes, Random r) => bytes.Length == 0 ? bytes : bytes[..r.Next(bytes.Length)];

    public static byte[] Flip(byte[] bytes, Random r)
    {
        var copy = (byte[])bytes.Clone();
        int n = Math.Max(1, r.Next(1, 8));
        for (int i = 0; i < n && copy.Length > 0; i++)
        {
            int at = r.Next(copy.Length);
            copy[at] = r.Next(3) switch
            {
                0 => (byte)r.Next(256),
                1 => (byte)(copy[at] ^ (1 << r.Next(8))),
                _ => r.Pick(new byte[] { (byte)'"', (byte)'{', (byte)'}', (byte)'[', (byte)']', (byte)',', (byte)':', (byte)'\\', 0, 0xFF }),
            };
        }
        return copy;
    }

    public static byte[] Insert(byte[] bytes, byte[] insert, Random r)
    {
        int at = r.Next(bytes.Length + 1);
        return [.. bytes.AsSpan(0, at), .. insert, .. bytes.AsSpan(at)];
    }

    public static byte[] RandomBytes(Random r)
    {
        var bytes = new byte[r.Chance(90) ? r.Next(0, 2048) : r.Next(2048, 200_000)];
        r.NextBytes(bytes);
        if (bytes.Length > 0 && r.Chance(50))
        {
            bytes[0] = (byte)'{';
        }
        return bytes;
    }

    /// <summary>Byte-level damage of a serialized document.</summary>
    public static (byte[] Bytes, string What) Damage(byte[] bytes, Random r) => r.Next(8) switch
    {
        0 => (Truncate(bytes, r), "truncated"),
        1 => (Flip(bytes, r), "flipped bytes"),
        2 => (Insert(bytes, Encode(r.Pick(InvalidUtf8)), r), "inserted invalid UTF-8"),
        3 => (Insert(bytes, Encode(r.Pick(RawControls)), r), "inserted a raw control character"),
        4 => ([0xEF, 0xBB, 0xBF, .. bytes], "prefixed a BOM"),
        5 => ([.. bytes, .. Encoding.UTF8.GetBytes(r.Pick(new[] { "}", "]", ",", " garbage", "\u0000", "{}", "/* comment */", "// c" }))], "appended garbage"),
        6 => ([.. Encoding.UTF8.GetBytes(r.Pick(new[] { "/*x*/", "\u0000", " \t\r\n", "[", "{\"a\":" })), .. bytes], "prefixed junk"),
        _ => (bytes.Length > 1 ? [.. bytes.AsSpan(0, bytes.Length / 2), .. bytes.AsSpan(0, bytes.Length / 2)] : bytes, "doubled the first half"),
    };
}
