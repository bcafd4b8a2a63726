using System.Buffers;
using CsMetrics.Scoring.Aggregates;
using CsMetrics.Scoring.Signals;

namespace CsMetrics.Scoring.Metrics;

/// <summary>
/// Turns an account's history into day-keyed, additive facts. Facts are a pure function of the
/// history, so an account recomputes them after a batch, compares with what it last sent, and
/// sends only the difference to its portfolio shard: a signal that arrives late and changes an
/// earlier movement (or supersedes an older survey answer) corrects the portfolio exactly.
/// </summary>
public static class MetricFacts
{
    public const string TenureNew = "new";
    public const string TenureOlder = "older";
    public const int NewCustomerDays = 90;
    private const string Seated = "s";

    /// <param name="capacityHint">The fact count of the account's previous build, if known: the map is sized once instead of growing (rehashing was ~2% of engine CPU).</param>
    public static Dictionary<FactKey, decimal> Build(AccountAggregates aggregates, int seats, DateOnly? renewalDate, int capacityHint = 0) =>
        Build(aggregates, seats, renewalDate, new Dictionary<FactKey, decimal>(capacityHint));

    /// <summary>The facts, built into <paramref name="facts"/> (cleared first, its capacity kept): a caller reusing one map allocates nothing per build once it is big enough.</summary>
    public static Dictionary<FactKey, decimal> Build(AccountAggregates aggregates, int seats, DateOnly? renewalDate, Dictionary<FactKey, decimal> facts)
    {
        facts.Clear();
        var h = aggregates.History;
        void Add(FactKey key, decimal value) => AddTo(facts, key, value);

        Add(new FactKey(FactKind.Account, 0), 1);
        if (seats > 0)
        {
            Add(new FactKey(FactKind.Seats, 0), seats);
        }
        string Tenure(int day) => day < h.FirstDay + NewCustomerDays ? TenureNew : TenureOlder;

        foreach (var answers in h.NpsAnswers.Values)
        {
            for (int i = 0; i < answers.Count; i++)
            {
                int day = DayNumber.Of(answers[i].Ticks);
                int superseded = i + 1 < answers.Count ? DayNumber.Of(answers[i + 1].Ticks) : int.MaxValue;
                var kind = answers[i].Score >= 9 ? FactKind.NpsPromoter : answers[i].Score >= 7 ? FactKind.NpsPassive : FactKind.NpsDetractor;
                Add(new FactKey(kind, day, superseded, Tenure(day)), 1);
            }
        }
        foreach (var (day, s) in h.Surveys)
        {
            string tenure = Tenure(day);
            AddIf(FactKind.CsatAnswer, day, s.CsatAnswers, tenure);
            AddIf(FactKind.CsatPositive, day, s.CsatPositive, tenure);
            AddIf(FactKind.CesAnswer, day, s.CesAnswers);
            AddIf(FactKind.CesSum, day, s.CesSum);
            AddIf(FactKind.CesHigh, day, s.CesHigh);
        }

        foreach (var t in h.Tickets.Values)
        {
            if (t.OpenedTicks != 0)
            {
                int opened = DayNumber.Of(t.OpenedTicks);
                Add(new FactKey(FactKind.TicketOpened, opened), 1);
                foreach (var tag in t.Tags ?? [])
                {
                    Add(new FactKey(FactKind.TicketTag, opened, 0, tag), 1);
                }
                if (t.FirstResponseTicks >= t.OpenedTicks)
                {
                    int minutes = (int)Math.Min(int.MaxValue, (t.FirstResponseTicks - t.OpenedTicks) / TimeSpan.TicksPerMinute);
                    Add(new FactKey(FactKind.FirstResponse, DayNumber.Of(t.FirstResponseTicks), minutes), 1);
                }
            }
            if (t.SolvedTicks != 0)
            {
                int solved = DayNumber.Of(t.SolvedTicks);
                Add(new FactKey(FactKind.TicketSolved, solved), 1);
                if (t.AgentReplies >= 0)
                {
                    Add(new FactKey(FactKind.TicketSolvedKnownReplies, solved), 1);
                    if (t.AgentReplies <= 1)
                    {
                        Add(new FactKey(FactKind.TicketSolvedFirstContact, solved), 1);
                    }
                }
            }
        }
        foreach (var (day, n) in h.Reopens)
        {
            AddIf(FactKind.TicketReopened, day, n);
        }

        int previousUsageDay = int.MinValue;
        foreach (var (day, total) in h.UsageEvents)
        {
            Add(new FactKey(FactKind.UsageEvents, day), total);
            Add(new FactKey(FactKind.AccountActive, day, previousUsageDay), 1);
            previousUsageDay = day;
        }
        Chain(facts, h.UserDays, FactKind.UserActive, null, 1, seats > 0 ? Seated : null);
        var featureNames = Names(h.Features);
        Chain(facts, h.FeatureDays, FactKind.FeatureActive, featureNames, 1);
        Chain(facts, h.FeatureUserDays, FactKind.FeatureUserActive, featureNames, AccountHistory.FeatureUserStride);
        ReturnNames(featureNames);
        Chain(facts, h.SelfServiceUserDays, FactKind.SelfServiceUser, null, 1);
        int firstFeatureDay = int.MaxValue;
        foreach (var (_, day) in h.FeatureDays.All())
        {
            firstFeatureDay = Math.Min(firstFeatureDay, day);
        }
        if (firstFeatureDay != int.MaxValue)
        {
            Add(new FactKey(FactKind.TimeToValue, firstFeatureDay, firstFeatureDay - h.FirstDay), 1);
        }

        AddRevenue(aggregates.Mrr, renewalDate, facts, aggregates);

        if (h.Touchpoints.Count > 0)
        {
            // Each day with a touchpoint, chained to the next one (days ascending, each once).
            var touchDays = ArrayPool<int>.Shared.Rent(h.Touchpoints.Count);
            int touchCount = 0;
            foreach (var ((day, kind), n) in h.Touchpoints)
            {
                Add(new FactKey(FactKind.Touchpoint, day, 0, Signals.SignalNames.Of((Signals.TouchpointKind)kind)), n);
                touchDays[touchCount++] = day;
            }
            touchDays.AsSpan(0, touchCount).Sort();
            int? before = null;
            for (int i = 0; i < touchCount; i++)
            {
                int day = touchDays[i];
                if (before == day)
                {
                    continue;
                }
                if (before is { } b)
                {
                    Add(new FactKey(FactKind.TouchpointDay, b, day), 1);
                }
                before = day;
            }
            if (before is { } last)
            {
                Add(new FactKey(FactKind.TouchpointDay, last, int.MaxValue), 1);
            }
            ArrayPool<int>.Shared.Return(touchDays);
        }

        if (h.ArticleDays.Count > 0)
        {
            var articleNames = Names(h.Articles);
            foreach (var ((day, article), d) in h.ArticleDays)
            {
                AddIf(FactKind.ArticleView, day, d.Views, articleNames[article]);
                AddIf(FactKind.ArticleHelpful, day, d.Helpful, articleNames[article]);
                AddIf(FactKind.ArticleNotHelpful, day, d.NotHelpful, articleNames[article]);
            }
            ReturnNames(articleNames);
        }
        return facts;

        void AddIf(FactKind kind, int day, long n, string? label = null)
        {
            if (n != 0)
            {
                Add(new FactKey(kind, day, 0, label), n);
            }
        }

    }

    private static void AddTo(Dictionary<FactKey, decimal> facts, FactKey key, decimal value) =>
        System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(facts, key, out _) += value;

    /// <summary>
    /// One fact per active (subject, day), chained to the subject's previous active day. Labelled
    /// <paramref name="label"/>, or with <paramref name="names"/>[subject / <paramref name="divisor"/>]
    /// when names are given (no delegate: this runs for every account on each publish).
    /// </summary>
    private static void Chain(Dictionary<FactKey, decimal> facts, ActivityDays days, FactKind kind, string[]? names, int divisor, string? label = null)
    {
        int subject = -1, previous = int.MinValue;
        foreach (var (s, day) in days.All())
        {
            if (s != subject)
            {
                subject = s;
                previous = int.MinValue;
            }
            AddTo(facts, new FactKey(kind, day, previous, names is null ? label : names[s / divisor]), 1);
            previous = day;
        }
    }

    /// <summary>Names by index, in an array rented from the shared pool (give it back with <see cref="ReturnNames"/>).</summary>
    private static string[] Names(Dictionary<string, int> index)
    {
        var names = ArrayPool<string>.Shared.Rent(Math.Max(1, index.Count));
        foreach (var (name, i) in index)
        {
            names[i] = name;
        }
        return names;
    }

    private static void ReturnNames(string[] names) => ArrayPool<string>.Shared.Return(names, clearArray: true);

    /// <summary>Walks the MRR timeline in event order and classifies every change (docs/metrics.md, Revenue).</summary>
    private static void AddRevenue(List<MrrPoint> mrr, DateOnly? renewalDate, Dictionary<FactKey, decimal> facts, AccountAggregates aggregates)
    {
        void add(FactKey key, decimal value) => AddTo(facts, key, value);
        decimal previous = 0;
        bool paidBefore = false;
        int stintStart = 0;
        foreach (var p in mrr)
        {
            int day = DayNumber.Of(p.Ticks);
            decimal a = previous, b = p.Mrr;
            previous = b;
            if (a == b)
            {
                continue;
            }
            add(new FactKey(FactKind.MrrDelta, day), b - a);
            if (a == 0)
            {
                stintStart = day;
                add(new FactKey(FactKind.PayingDelta, day), 1);
                add(new FactKey(paidBefore ? FactKind.ReactivationMrr : FactKind.NewMrr, day, stintStart), b);
                paidBefore = true;
            }
            else if (b == 0)
            {
                add(new FactKey(FactKind.PayingDelta, day), -1);
                add(new FactKey(FactKind.ChurnMrr, day, stintStart), a);
                add(new FactKey(FactKind.ChurnLogo, day, stintStart), 1);
            }
            else if (b > a)
            {
                add(new FactKey(FactKind.ExpansionMrr, day, stintStart), b - a);
            }
            else
            {
                add(new FactKey(FactKind.ContractionMrr, day, stintStart), a - b);
            }
        }
        if (renewalDate is { } renewal)
        {
            int day = renewal.DayNumber;
            decimal atRenewal = aggregates.MrrAt((long)(day + 1) * TimeSpan.TicksPerDay - 1) ?? 0;
            add(new FactKey(FactKind.Renewal, day, atRenewal > 0 ? 1 : 0), 1);
        }
    }

    /// <summary>
    /// The facts to add to go from <paramref name="sent"/> to <paramref name="current"/> (zero
    /// changes left out); into <paramref name="delta"/> (cleared first) when given.
    /// </summary>
    public static Dictionary<FactKey, decimal> Diff(Dictionary<FactKey, decimal> sent, Dictionary<FactKey, decimal> current, Dictionary<FactKey, decimal>? delta = null)
    {
        delta?.Clear();
        delta ??= new Dictionary<FactKey, decimal>();
        foreach (var (k, v) in current)
        {
            decimal d = v - sent.GetValueOrDefault(k);
            if (d != 0)
            {
                delta[k] = d;
            }
        }
        foreach (var (k, v) in sent)
        {
            if (!current.ContainsKey(k) && v != 0)
            {
                delta[k] = -v;
            }
        }
        return delta;
    }

    public static byte[] Encode(IReadOnlyCollection<KeyValuePair<FactKey, decimal>> facts) =>
        Binary.ScratchWriter.ToArray(facts, static (w, f) => Write(w, f));

    public static Dictionary<FactKey, decimal> Decode(ReadOnlySpan<byte> data)
    {
        using var ms = new MemoryStream(data.ToArray(), writable: false);
        using var r = new BinaryReader(ms, System.Text.Encoding.UTF8);
        return Read(r);
    }

    /// <summary>
    /// Decodes into <paramref name="into"/> (cleared first, its capacity kept), reading the array
    /// in place: a metrics shard decodes every account's publish only to add it to its sums, and
    /// a new map plus a copy of the payload each time were ~1 % of the engine's allocated bytes.
    /// </summary>
    public static Dictionary<FactKey, decimal> Decode(byte[] data, Dictionary<FactKey, decimal> into)
    {
        using var ms = new MemoryStream(data, writable: false);
        using var r = new BinaryReader(ms, System.Text.Encoding.UTF8);
        into.Clear();
        return Read(r, into);
    }

    public static void Write(BinaryWriter w, IReadOnlyCollection<KeyValuePair<FactKey, decimal>> facts)
    {
        w.Write(facts.Count);
        foreach (var (k, v) in facts)
        {
            w.Write((byte)k.Kind);
            w.Write(k.Day);
            w.Write(k.Aux);
            w.Write(k.Label is not null);
            if (k.Label is not null)
            {
                w.Write(k.Label);
            }
            w.Write(v);
        }
    }

    public static Dictionary<FactKey, decimal> Read(BinaryReader r) => Read(r, null);

    private static Dictionary<FactKey, decimal> Read(BinaryReader r, Dictionary<FactKey, decimal>? into)
    {
        int n = r.ReadInt32();
        var facts = into ?? new Dictionary<FactKey, decimal>(n);
        for (int i = 0; i < n; i++)
        {
            var kind = (FactKind)r.ReadByte();
            int day = r.ReadInt32();
            int aux = r.ReadInt32();
            // Labels are vocabulary (feature names, tags, tenure, touchpoint kinds) that a
            // portfolio shard keeps as keys for every day: one pooled copy, not one per key.
            string? label = r.ReadBoolean() ? StringPool.Vocabulary.Of(r.ReadString()) : null;
            facts[new FactKey(kind, day, aux, label)] = r.ReadDecimal();
        }
        return facts;
    }
}
