using CsMetrics.Contracts.Accounts;
using CsMetrics.Scoring.Signals;

namespace CsMetrics.Grains.Accounts;

/// <summary>
/// One of an account's latest applied signals as the account keeps it: a 40-byte struct in one
/// array. As a <see cref="SignalSummary"/> (a 72-byte object with two DateTimeOffsets, behind a
/// reference in a list) each took twice that, for up to <see cref="AccountGrain.RecentSignalsKept"/>
/// signals of every resident account, and one more object for the collector per applied signal.
/// The summary is built only when someone reads the account.
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
    /// Room for <paramref name="adding"/> newer signals after <paramref name="kept"/> (oldest
    /// first), keeping at most <paramref name="max"/>: the array to write them into, with the
    /// kept ones that stay moved to its start, and where the new ones go (they fill it to the
    /// end). Reuses <paramref name="kept"/> when it is already full, so an account past its first
    /// <paramref name="max"/> signals allocates nothing here; otherwise one exactly sized array
    /// per batch. <paramref name="adding"/> is at most <paramref name="max"/>.
    /// </summary>
    internal static RecentSignal[] MakeRoom(RecentSignal[] kept, int adding, int max, out int firstNew)
    {
        int total = Math.Min(max, kept.Length + adding);
        firstNew = total - adding;
        var result = kept.Length == total ? kept : new RecentSignal[total];
        Array.Copy(kept, kept.Length - firstNew, result, 0, firstNew);
        return result;
    }
}
