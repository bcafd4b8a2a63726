namespace CsMetrics.Server.Tests.Support;

/// <summary>The API keys the test servers are configured with (CsMetrics:ApiKeys).</summary>
public static class Keys
{
    public const string Ingest = "ik-test-ingest";
    public const string Read = "rk-test-read";
    public const string Admin = "ak-test-admin";
    public const string IngestAndRead = "both-test-ingest-read";

    public const string Configuration = $"{Ingest}:ingest,{Read}:read,{Admin}:admin,{IngestAndRead}:ingest+read";
}
