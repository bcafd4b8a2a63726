namespace CsMetrics.Server.Tests.Support;

/// <summary>
/// One running server shared by a collection of test classes (a silo takes seconds to start).
/// Tests use their own account ids, so they do not see each other's data.
/// </summary>
public class ServerFixture : IAsyncLifetime
{
    public CsMetricsFactory Factory { get; private set; } = null!;

    /// <summary>Clients per key, created once.</summary>
    public HttpClient Anonymous { get; private set; } = null!;
    public HttpClient Ingest { get; private set; } = null!;
    public HttpClient Read { get; private set; } = null!;
    public HttpClient Admin { get; private set; } = null!;

    protected virtual CsMetricsFactory CreateFactory() => new();

    public virtual async Task InitializeAsync()
    {
        Factory = CreateFactory();
        // CreateClient starts the host (and with it the silo) synchronously; keep it off the xunit thread.
        Anonymous = await Task.Run(() => Factory.CreateClient());
        Ingest = Factory.ClientWithKey(Keys.Ingest);
        Read = Factory.ClientWithKey(Keys.Read);
        Admin = Factory.ClientWithKey(Keys.Admin);
    }

    public async Task DisposeAsync()
    {
        if (Factory is not null)
        {
            await Factory.DisposeAsync();
        }
    }
}

/// <summary>Server for the contract tests of signals, accounts, auth, scorecard and OpenAPI.</summary>
public sealed class ApiServerFixture : ServerFixture;

[CollectionDefinition(Name)]
public sealed class ApiServerCollection : ICollectionFixture<ApiServerFixture>
{
    public const string Name = "api server";
}
