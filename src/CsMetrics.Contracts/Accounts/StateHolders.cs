namespace CsMetrics.Contracts.Accounts;

/// <summary>
/// The grain activations whose applied signals an account's state holds: the live one, and the
/// earlier ones that wrote everything they had applied when they deactivated (idle collection,
/// memory-pressure shedding, a graceful silo stop), newest last.
/// </summary>
[GenerateSerializer, Immutable, Alias("csm.StateHolders")]
public sealed record StateHolders([property: Id(0)] long Activation, [property: Id(1)] long[] HandedOff)
{
    public bool Holds(long activation) => activation == Activation || Array.IndexOf(HandedOff, activation) >= 0;
}
