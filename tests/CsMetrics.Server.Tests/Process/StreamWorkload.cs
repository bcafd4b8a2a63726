using System.Text.Json.Nodes;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Process;

/// <summary>The producer's stream for the kill-mid-stream tests: every signal type, known counts per account.</summary>
public static class StreamWorkload
{
    private const int GroupSize = 10;

    private static readonly string[] Features = ["reports.export", "dashboards.create", "api.call", "alerts.configure"];

    /// <summary>
    /// <paramref name="batchCount"/> batches of <paramref name="signalsPerBatch"/> signals with unique ids, in groups of 10 consecutive signals for one account
    /// (5 usage, a ticket opened and its first response, 2 surveys, 1 revenue). Every signal has a
    /// distinct timestamp within the last two weeks; a ticket's two events stay in one batch.
    /// </summary>
    public static (JsonObject[] Batches, Dictionary<string, (long, long, long, long)> Expected) Generate(string[] accounts, int batchCount, int signalsPerBatch, string idPrefix)
    {
        var now = DateTimeOffset.UtcNow;
        var t0 = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero).AddHours(-2);
        var counts = accounts.ToDictionary(a => a, _ => new long[4]);
        var batches = new JsonObject[batchCount];
        for (int b = 0; b < batchCount; b++)
        {
            var signals = new List<JsonObject>(signalsPerBatch);
            for (int j = 0; j < signalsPerBatch; j++)
            {
                int n = b * signalsPerBatch + j, g = j / GroupSize;
                string account = accounts[(b * (signalsPerBatch / GroupSize) + g) % accounts.Length];
                var at = t0.AddMinutes(-(n * 17L % (14 * 24 * 60)));
                string id = $"{idPrefix}-{b:00}-{j:000}-{Guid.NewGuid():N}";
                var c = counts[account];
                switch (j % GroupSize)
                {
                    case < 5:
                        signals.Add(Usage(account, id, at, userId: $"u{(b + j) % 9}", feature: Features[(b + j) % Features.Length], count: 1 + j % 3));
                        c[0]++;
                        break;
                    case 5:
                        signals.Add(Ticket(account, id, at, ticketId: $"T-{b}-{g}", status: "opened", priority: (b + g) % 4 == 0 ? "urgent" : "normal"));
                        c[1]++;
                        break;
                    case 6:
                        // The first response to the ticket opened just before (t0 - 2 days at most, plus 30 min: never in the future).
                        var openedAt = t0.AddMinutes(-((n - 1) * 17L % (14 * 24 * 60)));
                        signals.Add(Ticket(account, id, openedAt.AddMinutes(30), ticketId: $"T-{b}-{g}", status: "first_response", priority: null));
                        c[1]++;
                        break;
                    case 7:
                        signals.Add(Survey(account, "nps", (b + j) % 11, id, at, respondentId: $"r{b % 5}"));
                        c[2]++;
                        break;
                    case 8:
                        signals.Add(Survey(account, "csat", 1 + (b + j) % 5, id, at, respondentId: $"r{j % 3}"));
                        c[2]++;
                        break;
                    default:
                        signals.Add(Revenue(account, 100 + (b * 10 + g) % 37 * 10, id, at));
                        c[3]++;
                        break;
                }
            }
            batches[b] = Batch(signals);
        }
        return (batches, counts.ToDictionary(p => p.Key, p => (p.Value[0], p.Value[1], p.Value[2], p.Value[3])));
    }

}
