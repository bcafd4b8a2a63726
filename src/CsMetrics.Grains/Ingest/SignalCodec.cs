using CsMetrics.Scoring.Signals;

namespace CsMetrics.Grains.Ingest;

/// <summary>
/// The ingest log's record format: a batch of validated signals in a compact binary form.
/// Logging the parsed signals (not the request body) means replay never re-parses or
/// re-validates, and the log holds only what was acknowledged.
/// </summary>
public static class SignalCodec
{
    /// <summary>Version 2 added touchpoint and selfservice signals; version 1 records (the four original types) read unchanged.</summary>
    private const byte Version = 2;

    public static byte[] Encode(IReadOnlyList<Signal> signals) => Scoring.Binary.ScratchWriter.ToArray(signals, static (w, list) =>
    {
        w.Write(Version);
        w.Write(list.Count);
        for (int i = 0; i < list.Count; i++)
        {
            Write(w, list[i]);
        }
    });

    public static Signal[] Decode(ReadOnlyMemory<byte> payload)
    {
        using var ms = new MemoryStream(payload.ToArray(), writable: false);
        using var r = new BinaryReader(ms, System.Text.Encoding.UTF8);
        byte version = r.ReadByte();
        if (version is not (1 or Version))
        {
            throw new InvalidDataException($"Unknown ingest log record version {version}.");
        }
        int n = r.ReadInt32();
        var result = new Signal[n];
        for (int i = 0; i < n; i++)
        {
            result[i] = Read(r);
        }
        return result;
    }

    private static void Write(BinaryWriter w, Signal s)
    {
        w.Write(s.Id);
        w.Write(s.AccountId);
        w.Write((byte)s.Type);
        w.Write(s.Timestamp.UtcTicks);
        w.Write((short)s.Timestamp.Offset.TotalMinutes);
        switch (s.Type)
        {
            case SignalType.Usage:
                WriteOpt(w, s.UserId);
                WriteOpt(w, s.Feature);
                w.Write(s.Count);
                break;
            case SignalType.Ticket:
                WriteOpt(w, s.TicketId);
                w.Write((byte)s.TicketStatus);
                w.Write((byte)s.Priority);
                w.Write(s.Tags?.Length ?? 0);
                foreach (var t in s.Tags ?? [])
                {
                    w.Write(t);
                }
                w.Write(s.AgentReplies ?? -1);
                break;
            case SignalType.Survey:
                w.Write((byte)s.SurveyKind);
                w.Write(s.SurveyScore);
                WriteOpt(w, s.RespondentId);
                WriteOpt(w, s.Comment);
                break;
            case SignalType.Revenue:
                w.Write(s.Mrr);
                break;
            case SignalType.Touchpoint:
                w.Write((byte)s.TouchpointKind);
                WriteOpt(w, s.By);
                WriteOpt(w, s.Note);
                break;
            case SignalType.SelfService:
                WriteOpt(w, s.UserId);
                WriteOpt(w, s.ArticleId);
                w.Write((byte)s.SelfServiceAction);
                break;
        }
    }

    private static Signal Read(BinaryReader r)
    {
        string id = r.ReadString();
        string account = r.ReadString();
        var type = (SignalType)r.ReadByte();
        long ticks = r.ReadInt64();
        var offset = TimeSpan.FromMinutes(r.ReadInt16());
        var timestamp = new DateTimeOffset(ticks, TimeSpan.Zero).ToOffset(offset);
        switch (type)
        {
            case SignalType.Usage:
                return new Signal { Id = id, AccountId = account, Type = type, Timestamp = timestamp, UserId = ReadOpt(r), Feature = ReadOpt(r), Count = r.ReadInt32() };
            case SignalType.Ticket:
            {
                string? ticketId = ReadOpt(r);
                var status = (TicketStatus)r.ReadByte();
                var priority = (TicketPriority)r.ReadByte();
                int tagCount = r.ReadInt32();
                var tags = new string[tagCount];
                for (int i = 0; i < tagCount; i++)
                {
                    tags[i] = r.ReadString();
                }
                int replies = r.ReadInt32();
                return new Signal
                {
                    Id = id, AccountId = account, Type = type, Timestamp = timestamp,
                    TicketId = ticketId, TicketStatus = status, Priority = priority, Tags = tags,
                    AgentReplies = replies < 0 ? null : replies,
                };
            }
            case SignalType.Survey:
                return new Signal
                {
                    Id = id, AccountId = account, Type = type, Timestamp = timestamp,
                    SurveyKind = (SurveyKind)r.ReadByte(), SurveyScore = r.ReadInt32(), RespondentId = ReadOpt(r), Comment = ReadOpt(r),
                };
            case SignalType.Touchpoint:
                return new Signal
                {
                    Id = id, AccountId = account, Type = type, Timestamp = timestamp,
                    TouchpointKind = (TouchpointKind)r.ReadByte(), By = ReadOpt(r), Note = ReadOpt(r),
                };
            case SignalType.SelfService:
                return new Signal
                {
                    Id = id, AccountId = account, Type = type, Timestamp = timestamp,
                    UserId = ReadOpt(r), ArticleId = ReadOpt(r), SelfServiceAction = (SelfServiceAction)r.ReadByte(),
                };
            default:
                return new Signal { Id = id, AccountId = account, Type = type, Timestamp = timestamp, Mrr = r.ReadDecimal() };
        }
    }

    private static void WriteOpt(BinaryWriter w, string? s)
    {
        w.Write(s is not null);
        if (s is not null)
        {
            w.Write(s);
        }
    }

    private static string? ReadOpt(BinaryReader r) => r.ReadBoolean() ? r.ReadString() : null;
}
