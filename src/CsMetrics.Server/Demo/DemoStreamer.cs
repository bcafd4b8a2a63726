using CsMetrics.Contracts.Accounts;
using CsMetrics.Grains.Ingest;
using CsMetrics.Scoring.Signals;
using CsMetrics.Server.Hosting;
using Microsoft.Extensions.Options;

namespace CsMetrics.Server.Demo;

/// <summary>
/// <c>--demo</c>: seeds a few hundred realistic accounts with a month of history, then streams
/// live signals so a newcomer watches accounts move between watchlists. Every signal goes
/// through the real ingest path (log, grains, index, watchlists, hub).
/// </summary>
public sealed class DemoStreamer(
    SignalIngestor ingestor,
    IGrainFactory grains,
    IngestReadiness readiness,
    IOptions<CsMetricsOptions> options,
    TimeProvider time,
    ILogger<DemoStreamer> logger) : BackgroundService
{
    public const int Accounts = 300;
    private static readonly string[] Features = ["reports.export", "dashboards.create", "integrations.connect", "alerts.configure", "users.invite", "api.call", "search", "comments.add"];
    private static readonly string[] Owners = ["ana.silva", "ben.okafor", "chloe.martin", "dev.patel"];
    private static readonly string[] Segments = ["smb", "mid-market", "enterprise"];
    private static readonly string[] Prefixes = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Soylent", "Tyrell", "Cyberdyne", "Wonka", "Gringotts", "Oscorp", "Aperture", "Massive", "Pied Piper", "Dunder", "Monarch", "Nakatomi"];
    private static readonly string[] Suffixes = ["Labs", "Health", "Logistics", "Foods", "Capital", "Robotics", "Media", "Energy", "Retail", "Systems", "Analytics", "Travel", "Bank", "Studios", "Mobility"];

    private enum Archetype { Healthy, Declining, SuddenRisk, Recovering, Churning }

    private sealed record DemoAccount(string Id, Archetype Kind, int Seats, decimal Mrr);

    private long _next;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Demo)
        {
            return;
        }
        await readiness.WhenReady.WaitAsync(stoppingToken);

        var random = new Random(42);
        var now = time.GetUtcNow();
        var accounts = new List<DemoAccount>();
        for (int i = 0; i < Accounts; i++)
        {
            var kind = (Archetype)(random.Next(100) switch { < 55 => 0, < 70 => 1, < 80 => 2, < 92 => 3, _ => 4 });
            var segment = Segments[random.Next(Segments.Length)];
            int seats = segment switch { "smb" => random.Next(5, 25), "mid-market" => random.Next(25, 120), _ => random.Next(120, 600) };
            var account = new DemoAccount($"demo-{i:000}", kind, seats, seats * random.Next(20, 60));
            accounts.Add(account);
            string name = $"{Prefixes[i % Prefixes.Length]} {Suffixes[(i / Prefixes.Length + i) % Suffixes.Length]}";
            var renewal = DateOnly.FromDateTime(now.UtcDateTime).AddDays(random.Next(5, 365));
            await grains.GetGrain<IAccountGrain>(account.Id).Register(new AccountProfile(name, Owners[random.Next(Owners.Length)], segment, seats, renewal));
        }

        // A month of history, oldest first, so windows and trends have something to show.
        for (int day = 30; day >= 1 && !stoppingToken.IsCancellationRequested; day--)
        {
            var batch = new List<Signal>();
            foreach (var a in accounts)
            {
                batch.AddRange(DaySignals(a, now.AddDays(-day), day, random));
            }
            foreach (var chunk in batch.Chunk(2000))
            {
                await ingestor.IngestAsync(chunk, stoppingToken);
            }
        }
        logger.LogInformation("Demo: seeded {Accounts} accounts with 30 days of history; streaming live signals", Accounts);

        // Live: a few signals every 100 ms, with an incident now and then.
        while (!stoppingToken.IsCancellationRequested)
        {
            var batch = new List<Signal>();
            var at = time.GetUtcNow();
            for (int i = 0; i < 5; i++)
            {
                var a = accounts[random.Next(accounts.Count)];
                batch.AddRange(LiveSignals(a, at, random));
            }
            if (random.Next(25) == 0)
            {
                var victim = accounts[random.Next(accounts.Count)];
                batch.AddRange(Incident(victim, at, random));
                logger.LogInformation("Demo: incident at {Account}", victim.Id);
            }
            if (batch.Count > 0)
            {
                try
                {
                    await ingestor.IngestAsync(batch, stoppingToken);
                }
                catch (IngestRefusedException)
                {
                    // Short of memory: the demo's live signals are made up, skip this tick's.
                }
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100), time, stoppingToken);
        }
    }

    private IEnumerable<Signal> DaySignals(DemoAccount a, DateTimeOffset day, int daysAgo, Random r)
    {
        // How active the account was that day: declining accounts fade, recovering ones come back.
        double activity = a.Kind switch
        {
            Archetype.Healthy => 0.7,
            Archetype.Declining => 0.05 + 0.65 * daysAgo / 30.0,
            Archetype.SuddenRisk => 0.65,
            Archetype.Recovering => 0.7 - 0.5 * daysAgo / 30.0,
            _ => daysAgo > 12 ? 0.4 : 0.02,
        };
        int users = Math.Max(1, (int)(a.Seats * activity * (0.6 + r.NextDouble() * 0.4)));
        int features = a.Kind == Archetype.Healthy ? Features.Length : Math.Max(2, (int)(Features.Length * activity));
        for (int u = 0; u < Math.Min(users, 40); u++)
        {
            yield return Usage(a, day.AddMinutes(r.Next(1, 1400)), $"u{r.Next(a.Seats)}", Features[r.Next(features)], r.Next(1, 6));
        }
        if (daysAgo == 30)
        {
            yield return new Signal { Id = Id(), AccountId = a.Id, Type = SignalType.Revenue, Timestamp = day, Mrr = a.Mrr };
        }
        if (r.NextDouble() < (a.Kind is Archetype.Declining or Archetype.Churning ? 0.25 : 0.08))
        {
            string ticket = $"T-{a.Id[5..]}-{daysAgo}";
            var opened = day.AddHours(r.Next(1, 10));
            var priority = r.Next(10) == 0 ? TicketPriority.High : TicketPriority.Normal;
            yield return Ticket(a, opened, ticket, TicketStatus.Opened, priority);
            yield return Ticket(a, opened.AddHours(r.Next(1, 20)), ticket, TicketStatus.FirstResponse, priority);
            if (daysAgo > 2)
            {
                yield return Ticket(a, opened.AddDays(1), ticket, TicketStatus.Solved, priority);
            }
        }
        if (r.NextDouble() < 0.06)
        {
            int nps = a.Kind switch
            {
                Archetype.Healthy => r.Next(8, 11),
                Archetype.Recovering => r.Next(6, 10),
                Archetype.SuddenRisk => r.Next(7, 11),
                _ => r.Next(0, 7),
            };
            yield return new Signal { Id = Id(), AccountId = a.Id, Type = SignalType.Survey, Timestamp = day, SurveyKind = SurveyKind.Nps, SurveyScore = nps, RespondentId = $"u{r.Next(a.Seats)}" };
        }
        if (a.Kind == Archetype.Churning && daysAgo == 8)
        {
            yield return new Signal { Id = Id(), AccountId = a.Id, Type = SignalType.Revenue, Timestamp = day, Mrr = Math.Round(a.Mrr / 2) };
        }
        if (a.Kind == Archetype.Churning && daysAgo == 2 && r.Next(2) == 0)
        {
            yield return new Signal { Id = Id(), AccountId = a.Id, Type = SignalType.Revenue, Timestamp = day, Mrr = 0 };
        }
        foreach (var s in RelationshipSignals(a, day, daysAgo))
        {
            yield return s;
        }
    }

    /// <summary>
    /// Touchpoints and help-article use for the metrics catalog. Their own Random, so the health
    /// story the demo tells (which accounts decline, who churns) stays exactly as before.
    /// </summary>
    private IEnumerable<Signal> RelationshipSignals(DemoAccount a, DateTimeOffset day, int daysAgo)
    {
        var r = new Random(daysAgo * 7919 + a.Seats * 31 + (int)a.Kind);
        // CSMs call the accounts that worry them more often.
        if (r.NextDouble() < (a.Kind is Archetype.Healthy ? 0.07 : 0.15))
        {
            yield return new Signal
            {
                Id = Id(), AccountId = a.Id, Type = SignalType.Touchpoint, Timestamp = day.AddHours(r.Next(8, 18)),
                TouchpointKind = (TouchpointKind)r.Next(6), By = "demo-csm",
            };
        }
        if (r.NextDouble() < 0.3)
        {
            var action = r.Next(4) switch { 0 => SelfServiceAction.Helpful, 1 => SelfServiceAction.NotHelpful, _ => SelfServiceAction.View };
            yield return new Signal
            {
                Id = Id(), AccountId = a.Id, Type = SignalType.SelfService, Timestamp = day.AddHours(r.Next(8, 18)),
                UserId = $"u{r.Next(a.Seats)}", ArticleId = $"kb-{r.Next(1, 9)}", SelfServiceAction = action,
            };
        }
    }

    private IEnumerable<Signal> LiveSignals(DemoAccount a, DateTimeOffset at, Random r)
    {
        if (a.Kind is Archetype.Churning)
        {
            yield break; // gone quiet
        }
        int users = a.Kind == Archetype.Declining ? 1 : r.Next(1, 4);
        for (int i = 0; i < users; i++)
        {
            yield return Usage(a, at, $"u{r.Next(a.Seats)}", Features[r.Next(Features.Length)], 1);
        }
        if (a.Kind == Archetype.Recovering && r.Next(20) == 0)
        {
            yield return new Signal { Id = Id(), AccountId = a.Id, Type = SignalType.Survey, Timestamp = at, SurveyKind = SurveyKind.Nps, SurveyScore = r.Next(8, 11), RespondentId = $"u{r.Next(a.Seats)}" };
        }
    }

    private IEnumerable<Signal> Incident(DemoAccount a, DateTimeOffset at, Random r)
    {
        string ticket = $"T-{a.Id[5..]}-{r.Next(1000, 9999)}";
        yield return Ticket(a, at, ticket, TicketStatus.Opened, TicketPriority.Urgent);
        yield return Ticket(a, at, ticket + "b", TicketStatus.Opened, TicketPriority.Urgent);
        yield return new Signal { Id = Id(), AccountId = a.Id, Type = SignalType.Survey, Timestamp = at, SurveyKind = SurveyKind.Nps, SurveyScore = r.Next(0, 4), RespondentId = "champion" };
        if (r.Next(3) == 0)
        {
            yield return new Signal { Id = Id(), AccountId = a.Id, Type = SignalType.Revenue, Timestamp = at, Mrr = Math.Round(a.Mrr * 0.6m) };
        }
    }

    private Signal Usage(DemoAccount a, DateTimeOffset at, string user, string feature, int count) =>
        new() { Id = Id(), AccountId = a.Id, Type = SignalType.Usage, Timestamp = at, UserId = user, Feature = feature, Count = count };

    private Signal Ticket(DemoAccount a, DateTimeOffset at, string ticket, TicketStatus status, TicketPriority priority) =>
        new() { Id = Id(), AccountId = a.Id, Type = SignalType.Ticket, Timestamp = at, TicketId = ticket, TicketStatus = status, Priority = priority, Tags = ["demo"] };

    private string Id() => $"demo-{Environment.ProcessId}-{Interlocked.Increment(ref _next)}-{Guid.NewGuid():N}";
}
