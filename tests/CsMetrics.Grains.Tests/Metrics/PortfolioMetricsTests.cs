using System.Text.Json;
using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Metrics;
using CsMetrics.Contracts.Signals;
using CsMetrics.Grains.Tests.Cluster;
using CsMetrics.Scoring.Metrics;
using CsMetrics.Scoring.Signals;

namespace CsMetrics.Grains.Tests.Metrics;

/// <summary>
/// The portfolio as the shards keep it (deltas sent as signals arrive) against the slow way (ask
/// every account for its own figures and add them up), on a generated data set with history
/// arriving out of order, accounts registered before, after and in between, and segment moves.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PortfolioMetricsTests(ClusterFixture fixture)
{
    private static readonly string[] Segments = ["smb", "mid-market", "enterprise", "strategic"];

    private static readonly (DateOnly From, DateOnly To)[] Periods =
    [
        (new(2021, 1, 1), new(2021, 12, 31)),
        (new(2022, 3, 1), new(2022, 3, 31)),
        (new(2023, 6, 10), new(2023, 6, 16)),
        (new(2024, 1, 1), new(2025, 5, 31)),
        (new(2021, 1, 1), new(2025, 6, 1)),
    ];

    [Fact]
    public async Task Portfolio_figures_equal_the_sum_over_accounts_computed_the_slow_way()
    {
        // A run-unique owner keeps other tests' accounts out of the portfolio under test.
        string owner = "owner-" + Guid.NewGuid().ToString("N");
        var r = new Random(20251126);
        var accounts = Enumerable.Range(0, 300).Select(i => $"pm-{owner}-{i}").ToArray();
        var segmentOf = new Dictionary<string, string>();
        var historyOf = new Dictionary<string, List<Signal>>();

        await Bounded(accounts, async (account, rr) =>
        {
            var signals = GeneratedHistory.For(account, rr);
            // Most accounts import their history in a scrambled order, in several batches.
            if (rr.Next(4) > 0)
            {
                rr.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(signals));
            }
            string segment = Segments[rr.Next(Segments.Length)];
            lock (segmentOf)
            {
                segmentOf[account] = segment;
                historyOf[account] = signals;
            }
            var profile = new AccountProfile(account, owner, segment, rr.Next(0, 20), rr.Next(3) == 0 ? null : new DateOnly(2021, 1, 1).AddDays(rr.Next(1600)));
            var grain = fixture.Account(account);
            int registerAt = rr.Next(3); // 0: before, 1: half-way, 2: after the signals
            int half = signals.Count / 2;
            if (registerAt == 0)
            {
                // Registered first under another segment, then moved: the shard must move its facts.
                await grain.Register(profile with { Segment = Segments[(Array.IndexOf(Segments, segment) + 1) % Segments.Length] });
            }
            foreach (var chunk in signals.Take(half).Chunk(7))
            {
                await grain.Apply(new SignalBatch(chunk));
            }
            if (registerAt <= 1)
            {
                await grain.Register(profile);
            }
            foreach (var chunk in signals.Skip(half).Chunk(11))
            {
                await grain.Apply(new SignalBatch(chunk));
            }
            await grain.Register(profile);
        }, r);

        foreach (var (from, to) in Periods)
        {
            foreach (var segment in new string?[] { null, "enterprise", "smb" })
            {
                var fast = await PortfolioAsync(from, to, segment, owner);
                var slow = await SlowWayAsync(from, to, accounts.Where(a => segment is null || segmentOf[a] == segment));
                Assert.Equal(Json(slow), Json(fast));
            }
            // And a few figures straight from the raw signals, with no facts involved at all.
            var (mrrStart, mrrEnd, churned, responses, opened) = FromRawSignals(historyOf.Values, from, to);
            var portfolio = await PortfolioAsync(from, to, null, owner);
            Assert.Equal((mrrStart, mrrEnd, churned, responses, opened),
                (portfolio.Revenue.MrrStart, portfolio.Revenue.MrrEnd, portfolio.Revenue.ChurnedMrr, portfolio.Sentiment.NpsResponses, portfolio.Support.TicketsOpened));
        }

        // The data set really exercises the interesting cases.
        var all = await PortfolioAsync(Periods[^1].From, Periods[^1].To, null, owner);
        Assert.Equal(300, all.Accounts);
        Assert.True(all.Revenue.ChurnedMrr > 0 && all.Revenue.ReactivationMrr > 0 && all.Revenue.ExpansionMrr > 0 && all.Revenue.ContractionMrr > 0);
        Assert.True(all.Sentiment.NpsResponses > 100);
        Assert.Equal(4, all.Sentiment.BySegment.Length);
        // The unfiltered portfolio (the roll-up over all groups) holds at least this run's accounts,
        // and its per-segment split at least this run's enterprise answers.
        var everyone = await PortfolioAsync(Periods[^1].From, Periods[^1].To, null, null);
        var ours = await PortfolioAsync(Periods[^1].From, Periods[^1].To, "enterprise", owner);
        Assert.True(everyone.Accounts >= 300 && everyone.Revenue.MrrEnd >= all.Revenue.MrrEnd);
        Assert.True(everyone.Sentiment.BySegment.Single(s => s.Segment == "enterprise").NpsResponses >= ours.Sentiment.NpsResponses);
        var recent = await PortfolioAsync(Periods[3].From, Periods[3].To, null, owner);
        Assert.True(recent.Revenue.ChurnedAccounts > 0 && recent.Revenue.Nrr is not null && recent.Revenue.Clv is not null, JsonSerializer.Serialize(recent.Revenue));
    }

    [Fact]
    public async Task History_imported_out_of_order_gives_the_in_order_figures()
    {
        var r = new Random(42);
        for (int i = 0; i < 20; i++)
        {
            string inOrder = Cluster.Sig.NewAccount("ordered"), scrambled = Cluster.Sig.NewAccount("scrambled");
            var history = GeneratedHistory.For("x", r).OrderBy(s => s.Timestamp).ToList();
            foreach (var s in history)
            {
                await fixture.Account(inOrder).Apply(new SignalBatch([Copy(s, inOrder)]));
            }
            var shuffled = history.Select(s => Copy(s, scrambled)).ToArray();
            r.Shuffle(shuffled);
            foreach (var chunk in shuffled.Chunk(5))
            {
                await fixture.Account(scrambled).Apply(new SignalBatch(chunk));
            }
            foreach (var (from, to) in Periods)
            {
                var a = await AccountReportAsync(inOrder, from, to);
                var b = await AccountReportAsync(scrambled, from, to);
                Assert.Equal(Json(a with { AccountId = null }), Json(b with { AccountId = null }));
            }
        }
    }

    /// <summary>
    /// Brute force over the raw signals: MRR in force before `from` and at the end of `to`, MRR
    /// lost to churn inside the period, respondents whose latest answer up to `to` lies in the
    /// period, tickets opened in the period.
    /// </summary>
    private static (decimal, decimal, decimal, long, long) FromRawSignals(IEnumerable<List<Signal>> histories, DateOnly from, DateOnly to)
    {
        var start = new DateTimeOffset(from.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var end = new DateTimeOffset(to.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddDays(1);
        decimal mrrStart = 0, mrrEnd = 0, churned = 0;
        long responses = 0, opened = 0;
        foreach (var history in histories)
        {
            var mrr = history.Where(s => s.Type == SignalType.Revenue).OrderBy(s => s.Timestamp).ToList();
            mrrStart += mrr.LastOrDefault(s => s.Timestamp < start)?.Mrr ?? 0;
            mrrEnd += mrr.LastOrDefault(s => s.Timestamp < end)?.Mrr ?? 0;
            decimal previous = 0;
            foreach (var s in mrr)
            {
                if (s.Timestamp >= start && s.Timestamp < end && previous > 0 && s.Mrr == 0)
                {
                    churned += previous;
                }
                previous = s.Mrr;
            }
            responses += history.Where(s => s.Type == SignalType.Survey && s.SurveyKind == SurveyKind.Nps && s.Timestamp < end)
                .GroupBy(s => s.RespondentId)
                .Count(g => g.MaxBy(s => s.Timestamp)!.Timestamp >= start);
            opened += history.Count(s => s.Type == SignalType.Ticket && s.TicketStatus == TicketStatus.Opened && s.Timestamp >= start && s.Timestamp < end);
        }
        return (mrrStart, mrrEnd, churned, responses, opened);
    }

    private static Signal Copy(Signal s, string account) => new()
    {
        Id = s.Id, AccountId = account, Type = s.Type, Timestamp = s.Timestamp, UserId = s.UserId, Feature = s.Feature, Count = s.Count,
        TicketId = s.TicketId, TicketStatus = s.TicketStatus, Priority = s.Priority, Tags = s.Tags, AgentReplies = s.AgentReplies,
        SurveyKind = s.SurveyKind, SurveyScore = s.SurveyScore, RespondentId = s.RespondentId, Mrr = s.Mrr,
        TouchpointKind = s.TouchpointKind, By = s.By, ArticleId = s.ArticleId, SelfServiceAction = s.SelfServiceAction,
    };

    private async Task<MetricsReport> AccountReportAsync(string account, DateOnly from, DateOnly to) =>
        MetricsCalculator.Compute(PeriodFacts.FromBytes(await fixture.Account(account).GetMetricFacts(from.DayNumber, to.DayNumber)), account, null, null);

    private async Task<MetricsReport> PortfolioAsync(DateOnly from, DateOnly to, string? segment, string? owner)
    {
        var query = new MetricsQuery(from.DayNumber, to.DayNumber, segment, owner);
        var total = PeriodFacts.Empty(from.DayNumber, to.DayNumber);
        foreach (var part in await Task.WhenAll(Enumerable.Range(0, MetricsShards.Count).Select(s => fixture.Client.GetGrain<IMetricsShard>(s).Query(query))))
        {
            total.Merge(PeriodFacts.FromBytes(part));
        }
        return MetricsCalculator.Compute(total, null, segment, owner);
    }

    /// <summary>The slow way: every account's own figures for the period, added up.</summary>
    private async Task<MetricsReport> SlowWayAsync(DateOnly from, DateOnly to, IEnumerable<string> accounts)
    {
        var total = PeriodFacts.Empty(from.DayNumber, to.DayNumber);
        foreach (var account in accounts)
        {
            total.Merge(PeriodFacts.FromBytes(await fixture.Account(account).GetMetricFacts(from.DayNumber, to.DayNumber)));
        }
        return MetricsCalculator.Compute(total, null, null, null);
    }

    private static string Json(MetricsReport r) => JsonSerializer.Serialize(r with { Segment = null, Owner = null });

    /// <summary>Runs the accounts 8 at a time, each with its own seeded Random (drawn in order, so the data set is fixed).</summary>
    private static async Task Bounded(string[] accounts, Func<string, Random, Task> work, Random seed)
    {
        var seeds = accounts.Select(_ => seed.Next()).ToArray();
        using var gate = new SemaphoreSlim(8);
        await Task.WhenAll(accounts.Select(async (a, i) =>
        {
            await gate.WaitAsync();
            try
            {
                await work(a, new Random(seeds[i]));
            }
            finally
            {
                gate.Release();
            }
        }));
    }
}
