using CsMetrics.Contracts.Playbooks;
using CsMetrics.Contracts.Watchlists;
using CsMetrics.Grains.Accounts;
using Microsoft.Extensions.Logging;

namespace CsMetrics.Grains.Playbooks;

[GenerateSerializer, Alias("csm.AlertFeedState")]
public sealed class AlertFeedState
{
    [Id(0)] public List<FiredAlert> Recent { get; set; } = [];
}

/// <summary>
/// The last <see cref="Capacity"/> alerts, newest first, persisted so the dashboard starts filled
/// after a restart too. Each new alert goes to every silo's hub bridge through the push directory,
/// like watchlist deltas. Playbooks fire once per episode, so one grain carries the whole feed.
/// </summary>
public sealed class AlertFeedGrain(
    [PersistentState("alert-feed", StorageNames.Index)] IPersistentState<AlertFeedState> state,
    TimeProvider time,
    ILogger<AlertFeedGrain> logger) : Grain, IAlertFeed
{
    public const int Capacity = 200;
    private static readonly TimeSpan ObserverRefresh = TimeSpan.FromSeconds(5);

    private IWatchlistPushObserver[] _observers = [];
    private DateTimeOffset _observersFetched = DateTimeOffset.MinValue;

    public async Task Add(FiredAlert alert)
    {
        var recent = state.State.Recent;
        recent.Insert(0, alert);
        if (recent.Count > Capacity)
        {
            recent.RemoveRange(Capacity, recent.Count - Capacity);
        }
        await state.WriteStateAsync();

        if (time.GetUtcNow() - _observersFetched > ObserverRefresh)
        {
            _observers = await GrainFactory.GetGrain<IPushDirectory>(0).GetObservers();
            _observersFetched = time.GetUtcNow();
        }
        foreach (var observer in _observers)
        {
            try
            {
                await observer.OnAlertFired(alert);
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Push of alert {Alert} to a silo failed", alert.Id);
                _observersFetched = DateTimeOffset.MinValue;
            }
        }
    }

    public Task<FiredAlert[]> GetRecent() => Task.FromResult(state.State.Recent.ToArray());
}
