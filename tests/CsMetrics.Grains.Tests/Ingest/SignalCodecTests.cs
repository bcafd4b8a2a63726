using CsMetrics.Grains.Ingest;
using CsMetrics.Scoring.Signals;

namespace CsMetrics.Grains.Tests.Ingest;

public sealed class SignalCodecTests
{
    private static readonly DateTimeOffset At = new(2025, 6, 2, 9, 30, 15, 123, TimeSpan.FromHours(2));

    private static readonly string[] KindNames = ["usage", "usage-bare", "ticket", "ticket-bare", "survey", "survey-bare", "revenue", "touchpoint", "touchpoint-bare", "selfservice"];

    public static TheoryData<string> Kinds => new(KindNames);

    private static Signal Make(string kind) => kind switch
    {
        "usage" => new Signal { Id = "u-1", AccountId = "acme", Type = SignalType.Usage, Timestamp = At, UserId = "alice", Feature = "reports.export", Count = 42 },
        "usage-bare" => new Signal { Id = "u-2", AccountId = "acme", Type = SignalType.Usage, Timestamp = At.ToUniversalTime() },
        "ticket" => new Signal
        {
            Id = "t-1", AccountId = "acme", Type = SignalType.Ticket, Timestamp = At.ToOffset(TimeSpan.FromHours(-5.5)),
            TicketId = "T-9", TicketStatus = TicketStatus.Reopened, Priority = TicketPriority.Urgent, Tags = ["billing", "sso", "ü-tag"], AgentReplies = 3,
        },
        "ticket-bare" => new Signal { Id = "t-2", AccountId = "acme", Type = SignalType.Ticket, Timestamp = At, TicketId = "T-10", TicketStatus = TicketStatus.FirstResponse },
        "survey" => new Signal
        {
            Id = "s-1", AccountId = "acme", Type = SignalType.Survey, Timestamp = At,
            SurveyKind = SurveyKind.Ces, SurveyScore = 6, RespondentId = "r-1", Comment = "Fast — thanks!\nline two",
        },
        "survey-bare" => new Signal { Id = "s-2", AccountId = "acme", Type = SignalType.Survey, Timestamp = At, SurveyKind = SurveyKind.Nps, SurveyScore = 0 },
        "revenue" => new Signal { Id = "m-1", AccountId = "acme", Type = SignalType.Revenue, Timestamp = At, Mrr = 1234567.89m },
        "touchpoint" => new Signal { Id = "p-1", AccountId = "acme", Type = SignalType.Touchpoint, Timestamp = At, TouchpointKind = TouchpointKind.Qbr, By = "ann", Note = "renewal talk\nnext steps" },
        "touchpoint-bare" => new Signal { Id = "p-2", AccountId = "acme", Type = SignalType.Touchpoint, Timestamp = At, TouchpointKind = TouchpointKind.Onboarding, By = "bob" },
        "selfservice" => new Signal { Id = "h-1", AccountId = "acme", Type = SignalType.SelfService, Timestamp = At, UserId = "alice", ArticleId = "kb-12", SelfServiceAction = SelfServiceAction.NotHelpful },
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Every field, compared by value (Signal is a class without value equality).</summary>
    private static void AssertSame(Signal expected, Signal actual)
    {
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.AccountId, actual.AccountId);
        Assert.Equal(expected.Type, actual.Type);
        Assert.Equal(expected.Timestamp, actual.Timestamp);
        Assert.Equal(expected.Timestamp.Offset, actual.Timestamp.Offset);
        Assert.Equal(expected.UserId, actual.UserId);
        Assert.Equal(expected.Feature, actual.Feature);
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.TicketId, actual.TicketId);
        Assert.Equal(expected.TicketStatus, actual.TicketStatus);
        Assert.Equal(expected.Priority, actual.Priority);
        if (expected.Type == SignalType.Ticket)
        {
            // The log writes a tag count, so "no tags" comes back as an empty list rather than null.
            Assert.Equal(expected.Tags ?? [], actual.Tags);
        }
        else
        {
            Assert.Null(actual.Tags);
        }
        Assert.Equal(expected.AgentReplies, actual.AgentReplies);
        Assert.Equal(expected.SurveyKind, actual.SurveyKind);
        Assert.Equal(expected.SurveyScore, actual.SurveyScore);
        Assert.Equal(expected.RespondentId, actual.RespondentId);
        Assert.Equal(expected.Comment, actual.Comment);
        Assert.Equal(expected.Mrr, actual.Mrr);
        Assert.Equal(expected.TouchpointKind, actual.TouchpointKind);
        Assert.Equal(expected.By, actual.By);
        Assert.Equal(expected.Note, actual.Note);
        Assert.Equal(expected.ArticleId, actual.ArticleId);
        Assert.Equal(expected.SelfServiceAction, actual.SelfServiceAction);
    }

    [Fact]
    public void A_version_1_record_written_before_the_new_types_still_reads()
    {
        // The v1 layout of one revenue signal, byte for byte: version, count, id, account, type,
        // ticks, offset minutes, mrr. Logs written before version 2 must replay unchanged.
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write((byte)1);
            w.Write(1);
            w.Write("m-1");
            w.Write("acme");
            w.Write((byte)SignalType.Revenue);
            w.Write(At.UtcTicks);
            w.Write((short)120);
            w.Write(99.5m);
        }
        var decoded = Assert.Single(SignalCodec.Decode(ms.ToArray()));
        Assert.Equal(("m-1", "acme", SignalType.Revenue, 99.5m, At), (decoded.Id, decoded.AccountId, decoded.Type, decoded.Mrr, decoded.Timestamp));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Each_signal_kind_round_trips_with_every_field(string kind)
    {
        var signal = Make(kind);
        var decoded = SignalCodec.Decode(SignalCodec.Encode([signal]));
        AssertSame(signal, Assert.Single(decoded));
    }

    [Fact]
    public void A_mixed_batch_round_trips_in_order()
    {
        var batch = KindNames.Select(Make).ToArray();
        var decoded = SignalCodec.Decode(SignalCodec.Encode(batch));
        Assert.Equal(batch.Length, decoded.Length);
        for (int i = 0; i < batch.Length; i++)
        {
            AssertSame(batch[i], decoded[i]);
        }
    }

    [Fact]
    public void An_empty_batch_round_trips()
    {
        Assert.Empty(SignalCodec.Decode(SignalCodec.Encode([])));
    }

    [Fact]
    public void Fields_of_other_types_are_not_carried()
    {
        // Only the fields of the signal's own type are meaningful, and only those are logged.
        var revenue = new Signal { Id = "m", AccountId = "a", Type = SignalType.Revenue, Timestamp = At, Mrr = 10m, UserId = "stray", TicketId = "stray" };
        var decoded = Assert.Single(SignalCodec.Decode(SignalCodec.Encode([revenue])));
        Assert.Equal(10m, decoded.Mrr);
        Assert.Null(decoded.UserId);
        Assert.Null(decoded.TicketId);
    }

    [Fact]
    public void An_unknown_record_version_is_rejected()
    {
        var bytes = SignalCodec.Encode([Make("usage")]);
        bytes[0] = 99;
        Assert.Throws<InvalidDataException>(() => SignalCodec.Decode(bytes));
    }

    [Fact]
    public void Decoding_reads_a_slice_of_a_larger_buffer()
    {
        var payload = SignalCodec.Encode([Make("ticket"), Make("revenue")]);
        var buffer = new byte[payload.Length + 10];
        payload.CopyTo(buffer, 5);
        var decoded = SignalCodec.Decode(buffer.AsMemory(5, payload.Length));
        Assert.Equal(new[] { "t-1", "m-1" }, decoded.Select(s => s.Id));
    }
}
