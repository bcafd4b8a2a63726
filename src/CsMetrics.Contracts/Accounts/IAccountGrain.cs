using CsMetrics.Contracts.Signals;

namespace CsMetrics.Contracts.Accounts;

/// <summary>
/// One grain per customer account (key = account id). Non-reentrant: signals for an account are
/// applied one batch at a time, in arrival order, so its aggregates need no locks.
/// </summary>
[Alias("csm.IAccountGrain")]
public interface IAccountGrain : IGrainWithStringKey
{
    /// <summary>Applies signals (already durably logged by the caller); duplicates by id are skipped.</summary>
    [Alias("Apply")]
    Task<ApplyResult> Apply(SignalBatch batch);

    /// <summary>Creates or updates the registry metadata. Persisted before it returns.</summary>
    [Alias("Register")]
    Task<AccountView> Register(AccountProfile profile);

    /// <summary>The account, or null when it was never registered and never sent a signal.</summary>
    [Alias("GetView")]
    Task<AccountView?> GetView();

    /// <summary>Writes the state if it changed since the last checkpoint.</summary>
    [Alias("Checkpoint")]
    Task Checkpoint();
}
