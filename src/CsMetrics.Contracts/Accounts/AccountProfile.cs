namespace CsMetrics.Contracts.Accounts;

/// <summary>Registry metadata of an account, set by <c>PUT /api/v1/accounts/{id}</c>.</summary>
[GenerateSerializer, Immutable, Alias("csm.AccountProfile")]
public sealed record AccountProfile(string? Name, string? Owner, string? Segment, int Seats, DateOnly? RenewalDate);
