using CsMetrics.Scoring.Calibration;

namespace CsMetrics.Contracts.Calibration;

/// <summary>
/// What an account showed at the end of a day on which its band or components changed: the band,
/// the scorecard version and each component's score in that version's order (NaN = not included).
/// Names live once per version (<see cref="ComponentNames"/>), so a day costs a few bytes per component.
/// </summary>
[GenerateSerializer, Immutable, Alias("csm.CalibrationDay")]
public sealed record CalibrationDay(int Day, string? Band, int Version, float[] Scores) : IDatedBand;

/// <summary>The component names of one scorecard version, in scoring order.</summary>
[GenerateSerializer, Immutable, Alias("csm.ComponentNames")]
public sealed record ComponentNames(int Version, string[] Names);

/// <summary>
/// Sent by an account when its churn events change: when its MRR went to 0, and what it showed on
/// the days before (enough for the longest horizon plus the longest lead). No events = forget it.
/// </summary>
[GenerateSerializer, Immutable, Alias("csm.ChurnReport")]
public sealed record ChurnReport(string AccountId, long Revision, DateTimeOffset[] ChurnedAt, CalibrationDay[] Days, ComponentNames[] Names);

/// <summary>
/// The calibration question: churns in (<see cref="From"/>, <see cref="To"/>], predicted from what the
/// accounts showed at the end of <see cref="PredictionDay"/>; bands looked up <see cref="Leads"/> days before each churn.
/// </summary>
[GenerateSerializer, Immutable, Alias("csm.CalibrationWindow")]
public sealed record CalibrationWindow(DateTimeOffset From, DateTimeOffset To, int PredictionDay, int[] Leads);

[GenerateSerializer, Immutable, Alias("csm.ComponentValue")]
public readonly record struct ComponentValue(string Name, double Score);

/// <summary>A churned account in the window: its band at each lead before the (first) churn, and what it showed at the prediction time.</summary>
[GenerateSerializer, Immutable, Alias("csm.ChurnedAccount")]
public sealed record ChurnedAccount(string AccountId, DateTimeOffset ChurnedAt, string?[] BandsBefore, string? BandAtPrediction, ComponentValue[] ComponentsAtPrediction);

/// <summary>An account as it stood at the prediction time: whether it paid, its band and components, and whether it churned in the window.</summary>
[GenerateSerializer, Immutable, Alias("csm.CalibrationPoint")]
public sealed record CalibrationPoint(string AccountId, bool Paying, bool ChurnedInWindow, string? Band, ComponentValue[] Components);

/// <summary>
/// One of <see cref="Index.AccountIndex.ShardCount"/> shards (same hash as the index) that keep the
/// churn reports of the accounts that ever churned, so a calibration report never asks every account.
/// </summary>
[Alias("csm.ICalibrationShard")]
public interface ICalibrationShard : IGrainWithIntegerKey
{
    /// <summary>One-way: churn reporting never slows ingestion. A report older than the one held is ignored.</summary>
    [Alias("Report"), Orleans.Concurrency.OneWay]
    Task Report(ChurnReport report);

    [Alias("Churned"), Orleans.Concurrency.AlwaysInterleave]
    Task<ChurnedAccount[]> Churned(CalibrationWindow window);

    [Alias("Checkpoint")]
    Task Checkpoint();
}
