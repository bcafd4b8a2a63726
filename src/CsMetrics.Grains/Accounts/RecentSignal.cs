using CsMetrics.Contracts.Accounts;
using CsMetrics.Scoring.Signals;

namespace CsMetrics.Grains.Accounts;

/// <summary>
/// One of an account's latest applied signals as the account keeps it: a 40-byte struct in one
/// array. As a <see cref="SignalSummary"/> (a 72-byte object with two DateTimeOffsets, behind a
/// reference in a list) each took twice that, for up to <see cref="AccountGrain.RecentSignalsKept"/>
/// signals of every resident account, and one more object for the collector per applied signal.
/// The summary is built only when someone reads the account.
/// The live account keeps them in a buffer that grows by doubling (<see cref="MakeRoom"/>); its
/// checkpoint holds exactly the signals kept.
/// </summary>
/// <param name="TimestampTicks">The signal's own clock reading (<see cref="DateTimeOffset.Ticks"/>), with <paramref name="OffsetMinutes"/>: shown as it was sent.</param>
/// <param name="AppliedUtcTicks">When the server applied it (UTC).</param>
/// <param name="Type">A <see cref="SignalType"/> (as a byte: the scoring library's enums are not serializable types).</param>
[GenerateSerializer, Immutable, Alias("csm.RecentSignal")]
public readonly record struct RecentSignal(string Id, string Summary, long TimestampTicks, long AppliedUtcTicks, short OffsetMinutes, byte Type)
{
    public static RecentSignal Of(Signal signal, DateTimeOffset applied) => new(
        signal.Id,
        SharedText.Of(Scoring.Health.ChangeReason.DescribeSignal(signal)),
        signal.Timestamp.Ticks,
        applied.UtcTicks,
        (short)signal.Timestamp.TotalOffsetMinutes,
        (byte)signal.Type);

    public static RecentSignal Of(SignalSummary summary) => new(
        summary.Id,
        summary.Summary,
        summary.Timestamp.Ticks,
        summary.AppliedAt.UtcTicks,
        (short)summary.Timestamp.TotalOffsetMinutes,
        (byte)(SignalNames.TryParseType(summary.Type, out var type) ? type : SignalType.Usage));

    public SignalSummary ToSummary() => new(
        Id,
        SignalNames.Of((SignalType)Type),
        new DateTimeOffset(TimestampTicks, TimeSpan.FromMinutes(OffsetMinutes)),
        new DateTimeOffset(AppliedUtcTicks, TimeSpan.Zero),
        Summary);

    /// <summary>
    /// Room for <paramref name="adding"/> newer signals after the <paramref name="count"/> kept in
    /// <paramref name="buffer"/> (oldest first), keeping at most <paramref name="max"/>: the kept
    /// ones that stay move to the front, and the new ones go from <paramref name="firstNew"/> to
    /// the returned count. The buffer doubles (from 4, up to <paramref name="max"/>) rather than
    /// growing by the batch: an account short of <paramref name="max"/> signals took a new exact
    /// array on every apply (4 % of the engine's allocated bytes), and a full one never grows
    /// again. <paramref name="adding"/> is at most <paramref name="max"/>.
    /// </summary>
    internal static int MakeRoom(ref RecentSignal[] buffer, int count, int adding, int max, out int firstNew)
    {
        int total = Math.Min(max, count + adding);
        firstNew = total - adding;
        int keptFrom = count - firstNew;
        if (buffer.Length < total)
        {
            var grown = new RecentSignal[Math.Min(max, Math.Max(Math.Max(4, buffer.Length * 2), total))];
            Array.Copy(buffer, keptFrom, grown, 0, firstNew);
            buffer = grown;
        }
        else if (keptFrom > 0)
        {
            Array.Copy(buffer, keptFrom, buffer, 0, firstNew);
        }
        return total;
    }
}
