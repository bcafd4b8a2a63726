using System.Buffers;
using System.Text.Json;
using CsMetrics.Scoring.Metrics;
using CsMetrics.Scoring.Signals;

namespace CsMetrics.Benchmarks.Infrastructure;

/// <summary>
/// The generated input every variant gets: accounts drawn Zipf-distributed, and a realistic mix
/// of signal types (mostly product usage, then tickets moving through their lifecycle, survey
/// answers and MRR changes), timestamps within the last week. Seeded: the same seed gives the
/// same accounts, types and fields; only the id prefix differs between rounds, so no round's
/// signals are duplicates of another's.
/// </summary>
public sealed class SignalWorkload(int accounts, int seed, DateTimeOffset now)
{
    public const double ZipfExponent = 1.0;
    private static readonly string[] Features =
    [
        "reports.export", "reports.view", "dashboards.edit", "dashboards.view", "alerts.create", "alerts.ack",
        "integrations.sync", "users.invite", "api.call", "search", "billing.view", "settings.update",
        "workflows.run", "workflows.edit", "comments.add", "files.upload", "audit.view", "sso.login",
    ];
    private static readonly TicketStatus[] Lifecycle = [TicketStatus.Opened, TicketStatus.FirstResponse, TicketStatus.Solved, TicketStatus.Closed, TicketStatus.Reopened];

    private readonly ZipfSampler _zipf = new(accounts, ZipfExponent);

    public int Accounts => accounts;

    public static string AccountId(int index) => $"acc-{index:000000}";

    /// <summary><paramref name="count"/> signals; the i-th is the same in every call with the same <paramref name="stream"/>.</summary>
    public Signal[] Generate(int count, string idPrefix, int stream = 0)
    {
        var random = new Random(HashCode.Combine(seed, stream));
        var signals = new Signal[count];
        for (int i = 0; i < count; i++)
        {
            // Ranks are scattered over account ids, so the busy accounts are not neighbours.
            int rank = _zipf.Next(random);
            int account = (int)((rank * 2_654_435_761L) % accounts);
            signals[i] = Create(random, AccountId(account), $"{idPrefix}-{i}");
        }
        return signals;
    }

    /// <summary>
    /// One usage signal for every account: the warm-up that makes the whole universe resident
    /// (grains activated), so rounds measure the steady state rather than first activations.
    /// </summary>
    public Signal[] OnePerAccount(string idPrefix) =>
        Enumerable.Range(0, accounts).Select(a => new Signal
        {
            Id = $"{idPrefix}-{a}", AccountId = AccountId(a), Type = SignalType.Usage, Timestamp = now.AddHours(-1), UserId = "u0", Feature = Features[0],
        }).ToArray();

    /// <summary>One signal of the mix for a given account (85% usage, 8% ticket, 4% survey, 3% revenue).</summary>
    public Signal Create(Random random, string accountId, string id)
    {
        var at = now.AddSeconds(-random.Next(0, 7 * 24 * 3600));
        int kind = random.Next(100);
        if (kind < 85)
        {
            return new Signal
            {
                Id = id, AccountId = accountId, Type = SignalType.Usage, Timestamp = at,
                UserId = $"u{random.Next(40)}", Feature = Features[random.Next(Features.Length)], Count = 1 + random.Next(3),
            };
        }
        if (kind < 93)
        {
            return new Signal
            {
                Id = id, AccountId = accountId, Type = SignalType.Ticket, Timestamp = at,
                TicketId = $"T-{random.Next(12)}", TicketStatus = Lifecycle[random.Next(Lifecycle.Length)],
                Priority = (TicketPriority)random.Next(4),
            };
        }
        if (kind < 97)
        {
            bool nps = random.Next(3) > 0;
            return new Signal
            {
                Id = id, AccountId = accountId, Type = SignalType.Survey, Timestamp = at,
                SurveyKind = nps ? SurveyKind.Nps : SurveyKind.Csat, SurveyScore = nps ? random.Next(11) : 1 + random.Next(5),
                RespondentId = $"u{random.Next(40)}",
            };
        }
        return new Signal
        {
            Id = id, AccountId = accountId, Type = SignalType.Revenue, Timestamp = at,
            Mrr = 100 * (1 + random.Next(100)),
        };
    }

    /// <summary>
    /// The history of an account that has been live for <paramref name="days"/> days before
    /// <paramref name="end"/>, with every capped part of its state at its cap: each of the mix's 40
    /// users active every day, <see cref="SignalLimits.MaxRevenuePoints"/> MRR points and
    /// <see cref="AccountHistory.MaxAnswersPerRespondent"/> NPS answers for each of the 40 respondents.
    /// Chronological; ids start with <paramref name="idPrefix"/>. What an account looks like after
    /// months of the mix, without months of generated signals.
    /// </summary>
    public IEnumerable<Signal> CappedHistory(int account, DateTimeOffset end, int days, string idPrefix)
    {
        const int Users = 40;
        var random = new Random(HashCode.Combine(seed, account, days));
        string accountId = AccountId(account);
        int revenuePerDay = (SignalLimits.MaxRevenuePoints + days - 1) / days;
        int npsPerDay = (Users * AccountHistory.MaxAnswersPerRespondent + days - 1) / days;
        int n = 0;
        for (int d = 0; d < days; d++)
        {
            var dayStart = end.AddDays(d - days);
            for (int u = 0; u < Users; u++)
            {
                yield return new Signal
                {
                    Id = $"{idPrefix}-{n++}", AccountId = accountId, Type = SignalType.Usage, Timestamp = dayStart.AddMinutes(u),
                    UserId = $"u{u}", Feature = Features[(u + d) % Features.Length], Count = 1,
                };
            }
            for (int r = 0; r < revenuePerDay; r++)
            {
                yield return new Signal
                {
                    Id = $"{idPrefix}-{n++}", AccountId = accountId, Type = SignalType.Revenue, Timestamp = dayStart.AddHours(1).AddMinutes(r),
                    Mrr = 100 * (1 + random.Next(100)),
                };
            }
            for (int a = 0; a < npsPerDay; a++)
            {
                yield return new Signal
                {
                    Id = $"{idPrefix}-{n++}", AccountId = accountId, Type = SignalType.Survey, Timestamp = dayStart.AddHours(2).AddMinutes(a),
                    SurveyKind = SurveyKind.Nps, SurveyScore = random.Next(11), RespondentId = $"u{(d * npsPerDay + a) % Users}",
                };
            }
        }
    }

    /// <summary>The v1 ingest body (docs/signals.md) for each consecutive <paramref name="batchSize"/> signals.</summary>
    public static byte[][] ToJsonBatches(IReadOnlyList<Signal> signals, int batchSize)
    {
        var batches = new byte[(signals.Count + batchSize - 1) / batchSize][];
        var buffer = new ArrayBufferWriter<byte>(256 * batchSize);
        for (int b = 0; b < batches.Length; b++)
        {
            buffer.ResetWrittenCount();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteStartArray("signals");
                for (int i = b * batchSize; i < Math.Min(signals.Count, (b + 1) * batchSize); i++)
                {
                    Write(json, signals[i]);
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            batches[b] = buffer.WrittenSpan.ToArray();
        }
        return batches;
    }

    public static byte[] ToJsonBatch(IReadOnlyList<Signal> signals) => ToJsonBatches(signals, Math.Max(1, signals.Count))[0];

    private static void Write(Utf8JsonWriter json, Signal s)
    {
        json.WriteStartObject();
        json.WriteString("id", s.Id);
        json.WriteString("accountId", s.AccountId);
        json.WriteString("type", SignalNames.Of(s.Type));
        json.WriteString("timestamp", s.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
        switch (s.Type)
        {
            case SignalType.Usage:
                json.WriteString("userId", s.UserId);
                json.WriteString("feature", s.Feature);
                json.WriteNumber("count", s.Count);
                break;
            case SignalType.Ticket:
                json.WriteString("ticketId", s.TicketId);
                json.WriteString("status", SignalNames.Of(s.TicketStatus));
                json.WriteString("priority", SignalNames.Of(s.Priority));
                break;
            case SignalType.Survey:
                json.WriteString("kind", SignalNames.Of(s.SurveyKind));
                json.WriteNumber("score", s.SurveyScore);
                json.WriteString("respondentId", s.RespondentId);
                break;
            case SignalType.Revenue:
                json.WriteNumber("mrr", s.Mrr);
                break;
        }
        json.WriteEndObject();
    }
}
