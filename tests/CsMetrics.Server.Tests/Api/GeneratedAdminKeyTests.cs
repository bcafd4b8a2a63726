using System.Net;
using CsMetrics.Server.Tests.Support;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Api;

/// <summary>With no keys configured the server generates an admin key in its data folder.</summary>
public sealed class GeneratedAdminKeyTests
{
    [Fact]
    public async Task Without_configured_keys_an_admin_key_is_generated_in_the_data_dir_and_kept_across_restarts()
    {
        using var dataDir = new TempDirectory("csmetrics-genkey");
        string keyFile = Path.Combine(dataDir.Path, "admin.key");
        string acc = NewAccountId();
        string key;

        await using (var factory = new CsMetricsFactory(apiKeys: null, dataDir: dataDir.Path))
        {
            using var anonymous = await Task.Run(() => factory.CreateClient());
            Assert.True(File.Exists(keyFile), "admin.key is created in CsMetrics:DataDir");
            key = File.ReadAllText(keyFile).Trim();
            Assert.StartsWith("csm_", key);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
            }

            using (var response = await anonymous.GetAsync($"/api/v1/accounts/{acc}"))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            }

            using var admin = factory.ClientWithKey(key);
            Assert.Equal((1, 0), await admin.IngestAsync(Batch(Usage(acc))));
            await admin.RegisterAsync(acc, name: "Keyed");
            Assert.Equal(1L, (await admin.GetAccountAsync(acc))!.Counts().Usage);

            using var xApiKey = factory.ClientWithKey(key, asXApiKey: true);
            Assert.Equal("Keyed", (await xApiKey.GetAccountAsync(acc))!["name"]!.GetValue<string>());

            using var wrong = factory.ClientWithKey(key + "x");
            using (var response = await wrong.GetAsync($"/api/v1/accounts/{acc}"))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            }
        }

        // A restart on the same folder keeps the key (and the data).
        await using (var factory = new CsMetricsFactory(apiKeys: null, dataDir: dataDir.Path))
        {
            using var admin = await Task.Run(() => factory.ClientWithKey(key));
            Assert.Equal(key, File.ReadAllText(keyFile).Trim());
            var account = await admin.GetAccountAsync(acc);
            Assert.Equal("Keyed", account!["name"]!.GetValue<string>());
            Assert.Equal(1L, account.Counts().Usage);
        }
    }

    [Fact]
    public async Task With_configured_keys_no_admin_key_file_is_written()
    {
        await using var factory = new CsMetricsFactory();
        using var client = await Task.Run(() => factory.ClientWithKey(Keys.Read));
        using var response = await client.GetAsync("/api/v1/scorecard");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(File.Exists(Path.Combine(factory.DataDir, "admin.key")));
        Assert.True(File.Exists(Path.Combine(factory.DataDir, "ingest-log.db")), "the data folder setting reached the silo");
    }
}
