using BenchmarkDotNet.Attributes;
using CsMetrics.Benchmarks.Infrastructure;
using CsMetrics.Scoring.Aggregates;
using CsMetrics.Scoring.Health;
using CsMetrics.Scoring.Scorecards;
using CsMetrics.Scoring.Signals;

namespace CsMetrics.Benchmarks.Scenarios;

/// <summary>
/// The scorer's hot path per signal: apply it to its account's aggregates, then rescore the
/// account (what the account grain does for every accepted signal). Each invocation is one
/// server day with fresh ids for <see cref="Accounts"/> accounts. The accounts start with months
/// of history at their caps and thirty generated days, so they are in steady state: the capped parts
/// no longer grow and the dedup memory rotates through its day slots. What still allocates is the
/// metrics catalog's long memory gaining each new day's entries (retained state, by design).
/// </summary>
[MemoryDiagnoser]
public class ScorerBenchmarks
{
    public const int Accounts = 200;
    public const int SignalsPerDay = 20_000;
    private const int Days = 64;
    /// <summary>
    /// Days applied in the setup, so that every measured day is steady state. More than the dedup
    /// window is not enough: with 10, hot accounts' dedup tables still grew on days 12 and 20 (a
    /// per-signal probe), and the days BenchmarkDotNet measured averaged 25–28 B/signal; from day
    /// 22 on, days read 0.7–2.1 B/signal (stop 20).
    /// </summary>
    private const int WarmDays = 30;
    /// <summary>Days of capped history before the first generated day: more than the 120-day window.</summary>
    private const int HistoryDays = 130;

    private readonly Scorecard _card = ScorecardParser.Parse(File.ReadAllText(InProcessSilo.DefaultScorecardPath));
    private readonly ComponentScore[] _scratch = new ComponentScore[5];
    private readonly Dictionary<string, AccountAggregates> _accounts = new(StringComparer.Ordinal);
    private readonly DateTimeOffset _start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private Signal[][] _days = [];
    private AccountAggregates[][] _owners = [];
    private int _day;

    [GlobalSetup]
    public void Setup()
    {
        _days = new Signal[Days][];
        _owners = new AccountAggregates[Days][];
        for (int d = 0; d < Days; d++)
        {
            var workload = new SignalWorkload(Accounts, BenchContext.Seed, _start.AddDays(d));
            _days[d] = workload.Generate(SignalsPerDay, $"d{d}", stream: d);
            // The account lookup is the grain directory's job, not the scorer's: resolved here.
            _owners[d] = _days[d].Select(s => _accounts.TryGetValue(s.AccountId, out var a) ? a : _accounts[s.AccountId] = new AccountAggregates()).ToArray();
        }
        // Months of history first, so the capped parts of every account's state (MRR timeline,
        // NPS answers, the 120-day window) are at their caps as in a long-running account.
        var history = new SignalWorkload(Accounts, BenchContext.Seed, _start);
        foreach (var (id, account) in _accounts)
        {
            int index = int.Parse(id.AsSpan("acc-".Length));
            foreach (var signal in history.CappedHistory(index, _start, HistoryDays, "h"))
            {
                account.Apply(signal, signal.Timestamp.AddMinutes(5));
            }
        }
        while (_day < WarmDays)
        {
            ApplyDay();
        }
    }

    /// <summary>
    /// Bytes this thread allocated in every invocation BenchmarkDotNet makes (the measured ones and
    /// the memory diagnoser's own; 11 with this job), and the signals they applied. BenchmarkDotNet's memory figure comes
    /// from one extra invocation, that is one day, and counts every thread of the process: the
    /// same code read 5 and 16 B/signal in two full runs. The average over all the days, on this
    /// thread only, shows what the scorer allocates as days go by.
    /// </summary>
    public static long AllocatedAfterSetup { get; private set; }

    /// <inheritdoc cref="AllocatedAfterSetup"/>
    public static long SignalsAfterSetup { get; private set; }

    [Benchmark(OperationsPerInvoke = SignalsPerDay)]
    public double ApplyAndScore()
    {
        // Only BenchmarkDotNet calls this, after the setup (which applies its days directly).
        long before = GC.GetAllocatedBytesForCurrentThread();
        double checksum = ApplyDay();
        AllocatedAfterSetup += GC.GetAllocatedBytesForCurrentThread() - before;
        SignalsAfterSetup += SignalsPerDay;
        return checksum;
    }

    /// <summary>
    /// One more day as <see cref="ApplyAndScore"/> applies it, with the bytes this thread allocated
    /// for each signal added up by what the signal is (<see cref="KindOf"/>); returns the day's
    /// total. For <c>scorer-days</c>: which signals still allocate in steady state, and how much.
    /// </summary>
    public long ProbeDay(Dictionary<string, (long Bytes, int Signals)> byKind)
    {
        var (signals, owners, now) = NextDay();
        long total = 0;
        for (int i = 0; i < signals.Length; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            if (owners[i].Apply(signals[i], now))
            {
                HealthScorer.Evaluate(_card, owners[i], 25, now, _scratch);
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated > 0)
            {
                string kind = KindOf(signals[i]);
                var (bytes, count) = byKind.GetValueOrDefault(kind);
                byKind[kind] = (bytes + allocated, count + 1);
                total += allocated;
            }
        }
        return total;
    }

    private static string KindOf(Signal s) => s.Type switch
    {
        SignalType.Ticket => $"ticket {s.TicketStatus}",
        SignalType.Survey => $"survey {s.SurveyKind}",
        _ => s.Type.ToString(),
    };

    /// <summary>The next day's signals, their accounts, and the server's clock that day.</summary>
    private (Signal[] Signals, AccountAggregates[] Owners, DateTimeOffset Now) NextDay()
    {
        int day = _day++ % Days;
        return (_days[day], _owners[day], _start.AddDays(_day));
    }

    private double ApplyDay()
    {
        var (signals, owners, now) = NextDay();
        double checksum = 0;
        for (int i = 0; i < signals.Length; i++)
        {
            if (owners[i].Apply(signals[i], now))
            {
                checksum += HealthScorer.Evaluate(_card, owners[i], 25, now, _scratch).Score;
            }
        }
        return checksum;
    }
}
