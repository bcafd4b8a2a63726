using CsMetrics.Contracts.Calibration;
using CsMetrics.Grains.Accounts;
using CsMetrics.Scoring.Aggregates;
using CsMetrics.Scoring.Calibration;

namespace CsMetrics.Grains.Calibration;

[GenerateSerializer, Alias("csm.CalibrationShardState")]
public sealed class CalibrationShardState
{
    [Id(0)] public List<ChurnReport> Reports { get; set; } = [];
}

/// <summary>
/// The churn reports of the accounts of one index shard that ever churned. Accounts report when
/// their churn times change, so a calibration report reads churned accounts from 16 shards instead
/// of asking every account. Written by the checkpointer (and on deactivation) when changed.
/// </summary>
public sealed class CalibrationShardGrain(
    [PersistentState("calibration", StorageNames.Index)] IPersistentState<CalibrationShardState> state)
    : Grain, ICalibrationShard
{
    private readonly Dictionary<string, ChurnReport> _byAccount = new(StringComparer.Ordinal);
    private bool _dirty;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (var r in state.State.Reports)
        {
            _byAccount[r.AccountId] = r;
        }
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => Checkpoint();

    public Task Report(ChurnReport report)
    {
        if (_byAccount.TryGetValue(report.AccountId, out var held) && held.Revision >= report.Revision)
        {
            return Task.CompletedTask; // overtaken by a newer report
        }
        if (report.ChurnedAt.Length == 0)
        {
            _dirty |= _byAccount.Remove(report.AccountId);
            return Task.CompletedTask;
        }
        _byAccount[report.AccountId] = report;
        _dirty = true;
        return Task.CompletedTask;
    }

    public Task<ChurnedAccount[]> Churned(CalibrationWindow window)
    {
        var result = new List<ChurnedAccount>();
        foreach (var report in _byAccount.Values)
        {
            // The first churn in the window: what the account showed before it is the question.
            int i = Array.FindIndex(report.ChurnedAt, t => t > window.From && t <= window.To);
            if (i < 0)
            {
                continue;
            }
            var churnedAt = report.ChurnedAt[i];
            int churnDay = DayNumber.Of(churnedAt);
            var bands = new string?[window.Leads.Length];
            for (int l = 0; l < bands.Length; l++)
            {
                bands[l] = DatedBands.BandBefore(report.Days, churnDay, window.Leads[l]);
            }
            int p = DatedBands.LatestOnOrBefore(report.Days, window.PredictionDay);
            result.Add(p < 0
                ? new ChurnedAccount(report.AccountId, churnedAt, bands, null, [])
                : new ChurnedAccount(report.AccountId, churnedAt, bands, report.Days[p].Band, CalibrationValues.Of(report.Days[p], report.Names)));
        }
        return Task.FromResult(result.ToArray());
    }

    public async Task Checkpoint()
    {
        if (!_dirty)
        {
            return;
        }
        state.State.Reports = [.. _byAccount.Values];
        await state.WriteStateAsync();
        _dirty = false;
    }
}
