namespace CsMetrics.Scoring.Aggregates;

/// <summary>
/// A compact, versioned binary form of the aggregates for checkpoints. Binary rather than JSON:
/// it is written for every dirty account at each checkpoint and read on every activation, and
/// it keeps an account's stored size small.
/// </summary>
public sealed partial class AccountAggregates
{
    /// <summary>Version 2 added the two new signal types' counts and the metrics history; version 1 still reads (with an empty history).</summary>
    private const byte FormatVersion = 2;

    /// <summary>
    /// In a buffer kept per thread (<see cref="Binary.ScratchWriter"/>): every checkpoint writes
    /// tens of thousands of accounts, and a fresh stream grew by doubling to each account's size,
    /// then copied it out (~7 % of the engine's allocated bytes).
    /// </summary>
    public byte[] ToBytes() => Binary.ScratchWriter.ToArray(this, static (w, aggregates) => aggregates.WriteTo(w));

    public static AccountAggregates FromBytes(ReadOnlySpan<byte> data)
    {
        using var ms = new MemoryStream(data.ToArray(), writable: false);
        using var r = new BinaryReader(ms, System.Text.Encoding.UTF8);
        return ReadFrom(r);
    }

    public void WriteTo(BinaryWriter w)
    {
        w.Write(FormatVersion);
        w.Write(NewestDay);
        w.Write(LastUsageDay);
        w.Write(LastSignalTicks);
        foreach (var c in Counts)
        {
            w.Write(c);
        }

        // Days in ascending order (older versions wrote them in ring-slot order; reading takes either).
        var buckets = Window.Used;
        int used = 0;
        foreach (ref readonly var b in buckets)
        {
            if (b.Day != 0)
            {
                used++;
            }
        }
        w.Write(used);
        foreach (ref readonly var b in buckets)
        {
            if (b.Day == 0)
            {
                continue;
            }
            w.Write(b.Day);
            w.Write(b.UsageEvents);
            w.Write(b.UsersLastSeen);
            w.Write(b.TicketsSolved);
            w.Write(b.TicketsReopened);
            w.Write(b.CsatAnswers);
            w.Write(b.CsatPositive);
            w.Write(b.CesAnswers);
            w.Write(b.CesSum);
        }

        Seen.WriteTo(w);

        // Written by name, as when they were maps of their own: the format does not change.
        UserLastSeen.Write(w, History.Users);
        FeatureLastUsed.Write(w, History.Features);

        w.Write(Tickets.Count);
        foreach (var (id, t) in Tickets)
        {
            w.Write(id);
            w.Write((byte)t.Priority);
            w.Write((byte)t.Status);
            w.Write(t.StatusTicks);
            w.Write(t.OpenedTicks);
            w.Write(t.FirstResponseTicks);
            w.Write(t.AgentReplies);
            w.Write(t.FirstResponseSampled);
        }

        var samples = FirstResponses.Items().ToList();
        w.Write(samples.Count);
        foreach (var (day, hours) in samples)
        {
            w.Write(day);
            w.Write(hours);
        }

        w.Write(NpsByRespondent.Count);
        foreach (var (id, a) in NpsByRespondent)
        {
            w.Write(id);
            w.Write(a.Ticks);
            w.Write(a.Score);
        }

        w.Write(Mrr.Count);
        foreach (var p in Mrr)
        {
            w.Write(p.Ticks);
            w.Write(p.Mrr);
        }
        History.Write(w);
    }

    public static AccountAggregates ReadFrom(BinaryReader r)
    {
        byte version = r.ReadByte();
        if (version is not (1 or FormatVersion))
        {
            throw new InvalidDataException($"Unknown account aggregates format {version}.");
        }
        var a = new AccountAggregates
        {
            NewestDay = r.ReadInt32(),
            LastUsageDay = r.ReadInt32(),
            LastSignalTicks = r.ReadInt64(),
        };
        for (int i = 0; i < (version == 1 ? 4 : a.Counts.Length); i++)
        {
            a.Counts[i] = r.ReadInt64();
        }

        int buckets = r.ReadInt32();
        for (int i = 0; i < buckets; i++)
        {
            var b = new DayBucket
            {
                Day = r.ReadInt32(),
                UsageEvents = r.ReadInt32(),
                UsersLastSeen = r.ReadInt32(),
                TicketsSolved = r.ReadInt32(),
                TicketsReopened = r.ReadInt32(),
                CsatAnswers = r.ReadInt32(),
                CsatPositive = r.ReadInt32(),
                CesAnswers = r.ReadInt32(),
                CesSum = r.ReadInt32(),
            };
            ref DayBucket slot = ref a.Window.Slot(b.Day, a.NewestDay, out bool inRange);
            if (inRange)
            {
                slot = b;
            }
        }

        int seenDays = r.ReadInt32();
        for (int i = 0; i < seenDays; i++)
        {
            int day = r.ReadInt32();
            int n = r.ReadInt32();
            var ids = new ulong[n];
            for (int k = 0; k < n; k++)
            {
                ids[k] = r.ReadUInt64();
            }
            a.Seen.Load(day, ids);
        }

        // Keyed by the history's tables, which come last: held by name until then.
        var userLastSeen = new Dictionary<string, int>(StringComparer.Ordinal);
        var featureLastUsed = new Dictionary<string, int>(StringComparer.Ordinal);
        BinaryMaps.Read(r, userLastSeen);
        BinaryMaps.Read(r, featureLastUsed);

        int tickets = r.ReadInt32();
        for (int i = 0; i < tickets; i++)
        {
            string id = r.ReadString();
            var t = new TicketState
            {
                Priority = (Signals.TicketPriority)r.ReadByte(),
                Status = (Signals.TicketStatus)r.ReadByte(),
                StatusTicks = r.ReadInt64(),
                OpenedTicks = r.ReadInt64(),
                FirstResponseTicks = r.ReadInt64(),
                AgentReplies = r.ReadInt32(),
                FirstResponseSampled = r.ReadBoolean(),
            };
            a.Tickets[id] = t;
            if (t.IsOpenStatus(t.Status) && t.StatusTicks != 0)
            {
                a.OpenTicketsWeighted += PriorityWeight(t.Priority);
                if (t.Priority == Signals.TicketPriority.Urgent)
                {
                    a.UrgentOpen++;
                }
            }
        }

        int samples = r.ReadInt32();
        for (int i = 0; i < samples; i++)
        {
            a.FirstResponses.Add(r.ReadInt32(), r.ReadDouble());
        }

        int respondents = r.ReadInt32();
        for (int i = 0; i < respondents; i++)
        {
            string id = r.ReadString();
            var answer = new NpsAnswer(r.ReadInt64(), r.ReadByte());
            a.NpsByRespondent[id] = answer;
            a.CountNps(answer.Score, +1);
        }

        int points = r.ReadInt32();
        for (int i = 0; i < points; i++)
        {
            a.Mrr.Add(new MrrPoint(r.ReadInt64(), r.ReadDecimal()));
        }
        if (version >= 2)
        {
            a.History.Read(r);
        }
        // A version-1 state has no history yet: its users and features enter the tables here.
        a.UserLastSeen.Load(userLastSeen, a.History.UserIndex);
        a.FeatureLastUsed.Load(featureLastUsed, a.History.FeatureIndex);
        return a;
    }
}
