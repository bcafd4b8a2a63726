using CsMetrics.Scoring.Aggregates;
using CsMetrics.Scoring.Signals;

namespace CsMetrics.Scoring.Metrics;

/// <summary>
/// An account's long memory for the metrics catalog: every fact needed to compute its metrics
/// for any past period, in a form where the order of arrival does not matter (counts per day,
/// activity masks, the ticket ledger, every survey answer per respondent). The health score's
/// 120-day ring stays as it is; this is what lets a report over 2021 come out exactly even when
/// that history was imported last, newest first. Bounded by caps (docs/metrics.md).
/// </summary>
public sealed class AccountHistory
{
    public const int MaxTickets = 20_000;
    public const int MaxAnswersPerRespondent = 64;
    public const int MaxArticles = 1_000;

    /// <summary>Day of the earliest signal of any type (event time): the start of the account's tenure.</summary>
    internal int FirstDay = int.MaxValue;

    internal readonly Dictionary<string, TicketRecord> Tickets = new(StringComparer.Ordinal);
    internal readonly DayTotals UsageEvents = new();
    internal readonly Dictionary<string, int> Users = new(StringComparer.Ordinal);
    internal readonly Dictionary<string, int> Features = new(StringComparer.Ordinal);
    internal readonly ActivityDays UserDays = new();
    internal readonly ActivityDays FeatureDays = new();
    /// <summary>Subject = feature index × <see cref="FeatureUserStride"/> + user index.</summary>
    internal readonly ActivityDays FeatureUserDays = new();
    internal readonly ActivityDays SelfServiceUserDays = new();

    // The maps most accounts never fill (NPS and survey answers, reopens, touchpoints, articles)
    // are created on first write: even empty, a Dictionary is 80 bytes, times every resident
    // account. Readers see an empty map until then.
    private Dictionary<string, List<NpsHistoryAnswer>>? _npsAnswers;
    private Dictionary<int, SurveyDay>? _surveys;
    private Dictionary<int, int>? _reopens;
    private Dictionary<string, int>? _articles;
    private Dictionary<(int Day, byte Kind), int>? _touchpoints;
    private Dictionary<(int Day, int Article), ArticleDay>? _articleDays;

    // Readers get the concrete maps (an empty shared one until the first write), so walking them
    // uses the struct enumerator: the metrics facts walk every map on each publish, and an
    // interface enumerator is an allocation each. The shared empties are never written: every
    // write goes through the fields above.
    internal Dictionary<string, List<NpsHistoryAnswer>> NpsAnswers => _npsAnswers ?? Empty<string, List<NpsHistoryAnswer>>.Map;
    internal Dictionary<int, SurveyDay> Surveys => _surveys ?? Empty<int, SurveyDay>.Map;
    internal Dictionary<int, int> Reopens => _reopens ?? Empty<int, int>.Map;
    internal Dictionary<string, int> Articles => _articles ?? Empty<string, int>.Map;
    internal Dictionary<(int Day, byte Kind), int> Touchpoints => _touchpoints ?? Empty<(int Day, byte Kind), int>.Map;
    internal Dictionary<(int Day, int Article), ArticleDay> ArticleDays => _articleDays ?? Empty<(int Day, int Article), ArticleDay>.Map;

    private static class Empty<TKey, TValue> where TKey : notnull
    {
        public static readonly Dictionary<TKey, TValue> Map = [];
    }

    internal const int FeatureUserStride = 16_384; // > SignalLimits.MaxUsersPerAccount

    public int? LastTouchpointDay(int atOrBefore)
    {
        int best = int.MinValue;
        if (_touchpoints is null)
        {
            return null;
        }
        foreach (var (day, _) in _touchpoints.Keys)
        {
            if (day <= atOrBefore && day > best)
            {
                best = day;
            }
        }
        return best == int.MinValue ? null : best;
    }

    public int TouchpointsBetween(int fromDay, int toDay)
    {
        int n = 0;
        if (_touchpoints is null)
        {
            return 0;
        }
        foreach (var ((day, _), count) in _touchpoints)
        {
            if (day >= fromDay && day <= toDay)
            {
                n += count;
            }
        }
        return n;
    }

    /// <summary>
    /// Applies a signal. For a usage signal, returns its user's and feature's indexes in
    /// <see cref="Users"/> and <see cref="Features"/> (-1: none, or over the cap), which the
    /// scoring aggregates key their latest days on; (-1, -1) for every other type.
    /// </summary>
    internal (int User, int Feature) Apply(Signal s, long ticks, int day)
    {
        if (day < FirstDay)
        {
            FirstDay = day;
        }
        switch (s.Type)
        {
            case SignalType.Usage:
                return ApplyUsage(s, day);
            case SignalType.Ticket:
                ApplyTicket(s, ticks, day);
                break;
            case SignalType.Survey:
                ApplySurvey(s, ticks, day);
                break;
            case SignalType.Touchpoint:
                SmallMaps.RefOrAdd(_touchpoints ??= [], (day, (byte)s.TouchpointKind))++;
                break;
            case SignalType.SelfService:
                ApplySelfService(s, day);
                break;
        }
        return (-1, -1);
    }

    private (int User, int Feature) ApplyUsage(Signal s, int day)
    {
        UsageEvents.Add(day, Math.Max(1, s.Count));
        int user = s.UserId is { } u ? UserIndex(u) : -1;
        if (user >= 0)
        {
            UserDays.Mark(user, day);
        }
        int feature = s.Feature is { } f ? FeatureIndex(f) : -1;
        if (feature >= 0)
        {
            FeatureDays.Mark(feature, day);
            if (user >= 0)
            {
                FeatureUserDays.Mark(feature * FeatureUserStride + user, day);
            }
        }
        return (user, feature);
    }

    /// <summary>The user's index in <see cref="Users"/>, added if new; -1 once the table holds <see cref="SignalLimits.MaxUsersPerAccount"/>.</summary>
    internal int UserIndex(string user) => Index(Users, user, SignalLimits.MaxUsersPerAccount);

    /// <summary>The feature's index in <see cref="Features"/>, added if new (its name pooled: every account shares the product's feature names); -1 over the cap.</summary>
    internal int FeatureIndex(string feature) => Index(Features, feature, SignalLimits.MaxFeaturesPerAccount, StringPool.Vocabulary);

    private void ApplySelfService(Signal s, int day)
    {
        if (s.UserId is { } u && UserIndex(u) is var user and >= 0)
        {
            SelfServiceUserDays.Mark(user, day);
        }
        if (s.ArticleId is not { } a || Index(_articles ??= new(StringComparer.Ordinal), a, MaxArticles, StringPool.Vocabulary) is not (var article and >= 0))
        {
            return;
        }
        ref ArticleDay d = ref SmallMaps.RefOrAdd(_articleDays ??= [], (day, article));
        switch (s.SelfServiceAction)
        {
            case SelfServiceAction.View: d.Views++; break;
            case SelfServiceAction.Helpful: d.Helpful++; break;
            default: d.NotHelpful++; break;
        }
    }

    private void ApplyTicket(Signal s, long ticks, int day)
    {
        string id = s.TicketId!;
        if (!Tickets.TryGetValue(id, out var t))
        {
            if (Tickets.Count >= MaxTickets)
            {
                EvictOldestTicket();
            }
            t = new TicketRecord();
            SmallMaps.BeforeAdd(Tickets);
            Tickets[id] = t;
        }
        if (s.Tags is { Length: > 0 } tags && t.Tags is null)
        {
            // Kept for the ticket's life (up to MaxTickets per account): the pooled copies.
            t.Tags = tags.Distinct(StringComparer.Ordinal).Select(StringPool.Vocabulary.Of).ToArray();
        }
        if (s.AgentReplies is { } replies && replies > t.AgentReplies)
        {
            t.AgentReplies = replies;
        }
        // The earliest event of each kind wins, whatever order they arrive in.
        switch (s.TicketStatus)
        {
            case TicketStatus.Opened:
                t.OpenedTicks = Earliest(t.OpenedTicks, ticks);
                break;
            case TicketStatus.FirstResponse:
                t.FirstResponseTicks = Earliest(t.FirstResponseTicks, ticks);
                break;
            case TicketStatus.Solved:
                t.SolvedTicks = Earliest(t.SolvedTicks, ticks);
                break;
            case TicketStatus.Reopened:
                SmallMaps.RefOrAdd(_reopens ??= [], day)++;
                break;
        }
    }

    private static long Earliest(long current, long ticks) => current == 0 || ticks < current ? ticks : current;

    private void EvictOldestTicket()
    {
        string? oldest = null;
        long oldestTicks = long.MaxValue;
        foreach (var (id, t) in Tickets)
        {
            long at = t.OpenedTicks != 0 ? t.OpenedTicks : Math.Max(t.FirstResponseTicks, t.SolvedTicks);
            if (at < oldestTicks)
            {
                oldest = id;
                oldestTicks = at;
            }
        }
        if (oldest is not null)
        {
            Tickets.Remove(oldest);
        }
    }

    private void ApplySurvey(Signal s, long ticks, int day)
    {
        switch (s.SurveyKind)
        {
            case SurveyKind.Nps:
            {
                string respondent = s.RespondentId ?? s.Id;
                var npsAnswers = _npsAnswers ??= new(StringComparer.Ordinal);
                if (!npsAnswers.TryGetValue(respondent, out var answers))
                {
                    if (npsAnswers.Count >= SignalLimits.MaxRespondentsPerAccount)
                    {
                        return; // documented cap: further respondents are not remembered
                    }
                    answers = [];
                    SmallMaps.BeforeAdd(npsAnswers);
                    npsAnswers[respondent] = answers;
                }
                int at = answers.Count;
                while (at > 0 && answers[at - 1].Ticks > ticks)
                {
                    at--;
                }
                answers.Insert(at, new NpsHistoryAnswer(ticks, (byte)s.SurveyScore));
                if (answers.Count > MaxAnswersPerRespondent)
                {
                    answers.RemoveAt(0);
                }
                break;
            }
            case SurveyKind.Csat:
            {
                ref SurveyDay d = ref SmallMaps.RefOrAdd(_surveys ??= [], day);
                d.CsatAnswers++;
                if (s.SurveyScore >= 4)
                {
                    d.CsatPositive++;
                }
                break;
            }
            case SurveyKind.Ces:
            {
                ref SurveyDay d = ref SmallMaps.RefOrAdd(_surveys ??= [], day);
                d.CesAnswers++;
                d.CesSum += s.SurveyScore;
                if (s.SurveyScore >= 5)
                {
                    d.CesHigh++;
                }
                break;
            }
        }
    }

    private static int Index(Dictionary<string, int> map, string key, int cap, StringPool? pool = null)
    {
        if (map.TryGetValue(key, out int i))
        {
            return i;
        }
        if (map.Count >= cap)
        {
            return -1;
        }
        SmallMaps.BeforeAdd(map);
        i = map.Count;
        map[pool is null ? key : pool.Of(key)] = i;
        return i;
    }

    internal void Write(BinaryWriter w)
    {
        w.Write(FirstDay);
        w.Write(NpsAnswers.Count);
        foreach (var (respondent, answers) in NpsAnswers)
        {
            w.Write(respondent);
            w.Write(answers.Count);
            foreach (var a in answers)
            {
                w.Write(a.Ticks);
                w.Write(a.Score);
            }
        }
        w.Write(Surveys.Count);
        foreach (var (day, d) in Surveys)
        {
            w.Write(day);
            w.Write(d.CsatAnswers);
            w.Write(d.CsatPositive);
            w.Write(d.CesAnswers);
            w.Write(d.CesSum);
            w.Write(d.CesHigh);
        }
        w.Write(Tickets.Count);
        foreach (var (id, t) in Tickets)
        {
            w.Write(id);
            w.Write(t.OpenedTicks);
            w.Write(t.FirstResponseTicks);
            w.Write(t.SolvedTicks);
            w.Write(t.AgentReplies);
            w.Write(t.Tags?.Length ?? 0);
            foreach (var tag in t.Tags ?? [])
            {
                w.Write(tag);
            }
        }
        BinaryMaps.Write(w, _reopens);
        UsageEvents.Write(w);
        BinaryMaps.Write(w, Users);
        BinaryMaps.Write(w, Features);
        BinaryMaps.Write(w, _articles);
        UserDays.Write(w);
        FeatureDays.Write(w);
        FeatureUserDays.Write(w);
        SelfServiceUserDays.Write(w);
        w.Write(Touchpoints.Count);
        foreach (var ((day, kind), n) in Touchpoints)
        {
            w.Write(day);
            w.Write(kind);
            w.Write(n);
        }
        w.Write(ArticleDays.Count);
        foreach (var ((day, article), d) in ArticleDays)
        {
            w.Write(day);
            w.Write(article);
            w.Write(d.Views);
            w.Write(d.Helpful);
            w.Write(d.NotHelpful);
        }
    }

    internal void Read(BinaryReader r)
    {
        FirstDay = r.ReadInt32();
        int respondents = r.ReadInt32();
        for (int i = 0; i < respondents; i++)
        {
            string id = r.ReadString();
            int n = r.ReadInt32();
            var answers = new List<NpsHistoryAnswer>(n);
            for (int k = 0; k < n; k++)
            {
                answers.Add(new NpsHistoryAnswer(r.ReadInt64(), r.ReadByte()));
            }
            (_npsAnswers ??= new(StringComparer.Ordinal))[id] = answers;
        }
        int surveys = r.ReadInt32();
        for (int i = 0; i < surveys; i++)
        {
            (_surveys ??= new(surveys))[r.ReadInt32()] = new SurveyDay
            {
                CsatAnswers = r.ReadInt32(), CsatPositive = r.ReadInt32(), CesAnswers = r.ReadInt32(), CesSum = r.ReadInt32(), CesHigh = r.ReadInt32(),
            };
        }
        int tickets = r.ReadInt32();
        for (int i = 0; i < tickets; i++)
        {
            string id = r.ReadString();
            var t = new TicketRecord { OpenedTicks = r.ReadInt64(), FirstResponseTicks = r.ReadInt64(), SolvedTicks = r.ReadInt64(), AgentReplies = r.ReadInt32() };
            int tags = r.ReadInt32();
            if (tags > 0)
            {
                t.Tags = new string[tags];
                for (int k = 0; k < tags; k++)
                {
                    t.Tags[k] = StringPool.Vocabulary.Of(r.ReadString());
                }
            }
            Tickets[id] = t;
        }
        _reopens = BinaryMaps.ReadIntMapOrNull(r);
        UsageEvents.Read(r);
        BinaryMaps.Read(r, Users);
        BinaryMaps.Read(r, Features, StringPool.Vocabulary);
        _articles = BinaryMaps.ReadStringMapOrNull(r, StringPool.Vocabulary);
        UserDays.Read(r);
        FeatureDays.Read(r);
        FeatureUserDays.Read(r);
        SelfServiceUserDays.Read(r);
        int touchpoints = r.ReadInt32();
        for (int i = 0; i < touchpoints; i++)
        {
            int day = r.ReadInt32();
            byte kind = r.ReadByte();
            (_touchpoints ??= new(touchpoints))[(day, kind)] = r.ReadInt32();
        }
        int articleDays = r.ReadInt32();
        for (int i = 0; i < articleDays; i++)
        {
            int day = r.ReadInt32();
            int article = r.ReadInt32();
            (_articleDays ??= new(articleDays))[(day, article)] = new ArticleDay { Views = r.ReadInt32(), Helpful = r.ReadInt32(), NotHelpful = r.ReadInt32() };
        }
    }
}

internal readonly record struct NpsHistoryAnswer(long Ticks, byte Score);

internal struct SurveyDay
{
    public int CsatAnswers, CsatPositive, CesAnswers, CesSum, CesHigh;
}

internal struct ArticleDay
{
    public int Views, Helpful, NotHelpful;
}

/// <summary>One ticket's life as far as the metrics care: the earliest time of each event, its replies and tags.</summary>
internal sealed class TicketRecord
{
    public long OpenedTicks;
    public long FirstResponseTicks;
    public long SolvedTicks;
    /// <summary>Highest <c>agentReplies</c> seen; −1 while unknown.</summary>
    public int AgentReplies = -1;
    public string[]? Tags;
}
