using CsMetrics.Contracts.Playbooks;
using CsMetrics.Grains.Accounts;
using Microsoft.Extensions.DependencyInjection;

namespace CsMetrics.Grains.Playbooks;

/// <summary>One delivery to make: the playbook's action and the firing to send.</summary>
public sealed record PlaybookDeliveryJob(string DeliveryId, PlaybookAction Action, PlaybookFiring Firing);

/// <summary>
/// The silo's outbound delivery (retries, backoff; the host registers it). It reports progress
/// back with <see cref="IPlaybookGrain.Report"/>.
/// </summary>
public interface IPlaybookDeliveryQueue
{
    void Enqueue(PlaybookDeliveryJob job);
}

[GenerateSerializer, Alias("csm.PlaybookLogState")]
public sealed class PlaybookLogState
{
    [Id(0)] public List<PlaybookDeliveryRecord> Deliveries { get; set; } = [];
}

/// <summary>A playbook's delivery log: the most recent <see cref="MaxLog"/> deliveries, newest first.</summary>
public sealed class PlaybookGrain(
    [PersistentState("playbook-log", StorageNames.Index)] IPersistentState<PlaybookLogState> state)
    : Grain, IPlaybookGrain
{
    public const int MaxLog = 100;

    public async Task Fire(PlaybookDefinition playbook, PlaybookFiring firing)
    {
        string id = Guid.NewGuid().ToString("N");
        var queue = ServiceProvider.GetService<IPlaybookDeliveryQueue>();
        var record = queue is null
            ? new PlaybookDeliveryRecord(id, firing.AccountId, PlaybookDeliveryRecord.Dead, 0, "no delivery service on this silo", firing.FiredAt, null)
            : new PlaybookDeliveryRecord(id, firing.AccountId, PlaybookDeliveryRecord.Retrying, 0, null, firing.FiredAt, null);
        state.State.Deliveries.Insert(0, record);
        if (state.State.Deliveries.Count > MaxLog)
        {
            state.State.Deliveries.RemoveRange(MaxLog, state.State.Deliveries.Count - MaxLog);
        }
        await state.WriteStateAsync();
        queue?.Enqueue(new PlaybookDeliveryJob(id, playbook.Action, firing));
        // The dashboard's live feed (one-way: a slow feed never holds a delivery up).
        await GrainFactory.GetGrain<IAlertFeed>(0).Add(FiredAlert.From(id, firing));
    }

    public async Task Report(PlaybookDeliveryRecord record)
    {
        int i = state.State.Deliveries.FindIndex(d => d.Id == record.Id);
        if (i < 0)
        {
            return; // trimmed from the log or cleared
        }
        var current = state.State.Deliveries[i];
        if (current.Status != PlaybookDeliveryRecord.Retrying || record.Attempts < current.Attempts)
        {
            return; // final already, or an out-of-order report
        }
        state.State.Deliveries[i] = record;
        await state.WriteStateAsync();
    }

    public Task<PlaybookDeliveryRecord[]> GetDeliveries() => Task.FromResult(state.State.Deliveries.ToArray());

    public async Task Clear()
    {
        state.State.Deliveries.Clear();
        await state.ClearStateAsync();
    }
}
