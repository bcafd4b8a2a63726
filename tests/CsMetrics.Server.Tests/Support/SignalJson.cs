using System.Globalization;
using System.Text.Json.Nodes;

namespace CsMetrics.Server.Tests.Support;

/// <summary>Builds v1 signal documents (docs/signals.md) as JSON nodes, so tests can also break them.</summary>
public static class SignalJson
{
    public static string NewAccountId(string prefix = "acc") => $"{prefix}-{Guid.NewGuid():N}";

    public static string NewId(string prefix = "sig") => $"{prefix}-{Guid.NewGuid():N}";

    public static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>An hour ago: safely in today's/yesterday's bucket and never "in the future".</summary>
    public static DateTimeOffset Recent => DateTimeOffset.UtcNow.AddHours(-1);

    public static JsonObject Usage(string accountId, string? id = null, DateTimeOffset? at = null, string? userId = "ann", string? feature = "reports.export", int? count = null)
    {
        var o = Envelope(id, accountId, "usage", at);
        if (userId is not null)
        {
            o["userId"] = userId;
        }
        if (feature is not null)
        {
            o["feature"] = feature;
        }
        if (count is not null)
        {
            o["count"] = count;
        }
        return o;
    }

    public static JsonObject Ticket(string accountId, string? id = null, DateTimeOffset? at = null, string ticketId = "T-1", string status = "opened", string? priority = "normal", string[]? tags = null)
    {
        var o = Envelope(id, accountId, "ticket", at);
        o["ticketId"] = ticketId;
        o["status"] = status;
        if (priority is not null)
        {
            o["priority"] = priority;
        }
        if (tags is not null)
        {
            o["tags"] = new JsonArray(tags.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray());
        }
        return o;
    }

    public static JsonObject Survey(string accountId, string kind, int score, string? id = null, DateTimeOffset? at = null, string? respondentId = null, string? comment = null)
    {
        var o = Envelope(id, accountId, "survey", at);
        o["kind"] = kind;
        o["score"] = score;
        if (respondentId is not null)
        {
            o["respondentId"] = respondentId;
        }
        if (comment is not null)
        {
            o["comment"] = comment;
        }
        return o;
    }

    public static JsonObject Revenue(string accountId, decimal mrr, string? id = null, DateTimeOffset? at = null)
    {
        var o = Envelope(id, accountId, "revenue", at);
        o["mrr"] = mrr;
        return o;
    }

    public static JsonObject Touchpoint(string accountId, string kind = "meeting", string? by = "csm-ann", string? note = null, string? id = null, DateTimeOffset? at = null)
    {
        var o = Envelope(id, accountId, "touchpoint", at);
        o["kind"] = kind;
        if (by is not null)
        {
            o["by"] = by;
        }
        if (note is not null)
        {
            o["note"] = note;
        }
        return o;
    }

    public static JsonObject SelfService(string accountId, string action = "view", string? userId = "ann", string? articleId = "kb-1", string? id = null, DateTimeOffset? at = null)
    {
        var o = Envelope(id, accountId, "selfservice", at);
        o["action"] = action;
        if (userId is not null)
        {
            o["userId"] = userId;
        }
        if (articleId is not null)
        {
            o["articleId"] = articleId;
        }
        return o;
    }

    public static JsonObject Batch(params JsonObject[] signals) => new()
    {
        // A signal already in another batch is copied, so batches can share signals.
        ["signals"] = new JsonArray(signals.Select(s => (JsonNode?)(s.Parent is null ? s : s.DeepClone())).ToArray()),
    };

    public static JsonObject Batch(IEnumerable<JsonObject> signals) => Batch(signals.ToArray());

    private static JsonObject Envelope(string? id, string accountId, string type, DateTimeOffset? at) => new()
    {
        ["id"] = id ?? NewId(type),
        ["accountId"] = accountId,
        ["type"] = type,
        ["timestamp"] = Iso(at ?? Recent),
    };
}
