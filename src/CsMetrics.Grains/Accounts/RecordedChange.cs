using CsMetrics.Contracts.Accounts;

namespace CsMetrics.Grains.Accounts;

/// <summary>
/// One of an account's explained score changes as the account keeps it: a struct in one array,
/// with its components as structs in one more. As a <see cref="ScoreChange"/> it was an object,
/// an array of references and an object per component that moved (~320 bytes a change, for up
/// to <see cref="AccountGrain.RecentChangesKept"/> changes of every resident account, all of it
/// garbage again when the change falls off the list); as this, ~220. The API's
/// <see cref="ScoreChange"/> is built only when someone reads the account.
/// </summary>
/// <param name="Before">The score before (NaN: none yet).</param>
/// <param name="After">The score after (NaN: none).</param>
/// <param name="AtUtcTicks">When it was recorded (the server's clock, UTC).</param>
[GenerateSerializer, Immutable, Alias("csm.RecordedChange")]
public readonly record struct RecordedChange(
    string? SignalId,
    string SignalType,
    double Before,
    double After,
    string? BandBefore,
    string? BandAfter,
    ComponentDelta[] Components,
    long AtUtcTicks,
    string Reason)
{
    public static RecordedChange Of(ScoreChange change)
    {
        var components = new ComponentDelta[change.Components.Length];
        for (int i = 0; i < components.Length; i++)
        {
            var c = change.Components[i];
            components[i] = ComponentDelta.Of(c.Name, c.Before, c.After);
        }
        return new(change.SignalId, change.SignalType, Scores.Pack(change.Before), Scores.Pack(change.After),
            change.BandBefore, change.BandAfter, components, change.At.UtcTicks, change.Reason);
    }

    public ScoreChange ToScoreChange()
    {
        var components = new ComponentChange[Components.Length];
        for (int i = 0; i < components.Length; i++)
        {
            components[i] = Components[i].ToChange();
        }
        return new(SignalId, SignalType, Scores.Unpack(Before), Scores.Unpack(After), BandBefore, BandAfter,
            components, new DateTimeOffset(AtUtcTicks, TimeSpan.Zero), Reason);
    }

    /// <summary>
    /// <paramref name="newest"/> in front of <paramref name="kept"/> (newest first), keeping at
    /// most <paramref name="max"/>. Writes into <paramref name="kept"/> when it is already full,
    /// so an account past its first <paramref name="max"/> changes allocates no list for a new one.
    /// </summary>
    internal static RecordedChange[] Prepend(RecordedChange[] kept, in RecordedChange newest, int max)
    {
        int total = Math.Min(max, kept.Length + 1);
        var result = kept.Length == total ? kept : new RecordedChange[total];
        Array.Copy(kept, 0, result, 1, total - 1);
        result[0] = newest;
        return result;
    }
}

/// <summary>A component's score before and after a change (NaN: not scored).</summary>
[GenerateSerializer, Immutable, Alias("csm.ComponentDelta")]
public readonly record struct ComponentDelta(string Name, double Before, double After)
{
    public static ComponentDelta Of(string name, double? before, double? after) => new(name, Scores.Pack(before), Scores.Pack(after));

    public ComponentChange ToChange() => new(Name, Scores.Unpack(Before), Scores.Unpack(After));
}

/// <summary>An optional score in a plain double: scores are never NaN, so NaN stands for none.</summary>
internal static class Scores
{
    public static double Pack(double? score) => score ?? double.NaN;

    public static double? Unpack(double score) => double.IsNaN(score) ? null : score;
}
