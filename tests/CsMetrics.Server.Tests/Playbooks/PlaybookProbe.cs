using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CsMetrics.Server.Tests.Support;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Playbooks;

/// <summary>
/// The playbook tests' hands on a server and its receiver: define a playbook, post signals,
/// wait for POSTs and deliveries (patiently: everything behind ingest is one-way).
/// </summary>
public sealed class PlaybookProbe(PlaybookServerFixture server)
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>How long to wait before asserting that nothing (more) arrived.</summary>
    public static readonly TimeSpan Quiet = TimeSpan.FromSeconds(1.5);

    /// <summary>Saves a playbook posting to <paramref name="receiverPath"/> on the receiver; returns its id.</summary>
    public async Task<string> DefineAsync(object trigger, string receiverPath, int cooldownMinutes = 0, string type = "webhook", string? name = null)
    {
        string id = $"pb-{Guid.NewGuid():N}"[..20];
        using var response = await server.Admin.PutAsJsonAsync($"/api/v1/playbooks/{id}", new
        {
            name = name ?? $"Red alert {id}",
            trigger,
            action = new { type, url = server.Receiver.BaseUrl + receiverPath },
            cooldownMinutes,
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return id;
    }

    public async Task DeleteAsync(string id)
    {
        using var response = await server.Admin.DeleteAsync($"/api/v1/playbooks/{id}");
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    public async Task PostAsync(params JsonObject[] signals)
    {
        var (accepted, duplicates) = await server.Ingest.IngestAsync(Batch(signals));
        Assert.Equal((signals.Length, 0), (accepted, duplicates));
    }

    public async Task<JsonObject[]> DeliveriesAsync(string id, string accountId)
    {
        using var response = await server.Admin.GetAsync($"/api/v1/playbooks/{id}/deliveries");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        return body["deliveries"]!.AsArray().Select(d => d!.AsObject()).Where(d => d["accountId"]!.GetValue<string>() == accountId).ToArray();
    }

    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for {what}");
            await Task.Delay(50);
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> POSTs for the account reached <paramref name="path"/>.</summary>
    public Task<JsonObject[]> PostsAsync(string path, string accountId, int count) =>
        EventuallyAsync(() => Task.FromResult(Received(path, accountId)), r => r.Length >= count, $"{count} POST(s) to {path}");

    public JsonObject[] Received(string path, string accountId) =>
        server.Receiver.For(path).Where(b => b["accountId"]?.GetValue<string>() == accountId).ToArray();

    public Task WaitForBandAsync(string accountId, string band) =>
        EventuallyAsync(() => server.Read.GetAccountAsync(accountId),
            a => a?["health"]?["band"]?.GetValue<string>() == band, $"{accountId} to be {band}");

}
