using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using CsMetrics.Server.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CsMetrics.Server.Tests.Playbooks;

/// <summary>
/// A real HTTP receiver on a loopback port (Kestrel), so playbook deliveries travel over TCP.
/// The path picks the behaviour: <c>/ok/…</c> answers 200, <c>/flaky/…</c> 500 on the first POST
/// to that path and 200 afterwards, <c>/down/…</c> always 500.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _hits = new();

    public ConcurrentQueue<(string Path, JsonObject Body)> Received { get; } = new();

    public string BaseUrl { get; }

    private WebhookReceiver(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public static async Task<WebhookReceiver> StartAsync()
    {
        int port = FreePorts.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, $"http://127.0.0.1:{port}");
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        return receiver;
    }

    private async Task HandleAsync(HttpContext context)
    {
        string path = context.Request.Path.Value ?? "/";
        var body = await JsonNode.ParseAsync(context.Request.Body);
        Received.Enqueue((path, body!.AsObject()));
        int hit = _hits.AddOrUpdate(path, 1, (_, n) => n + 1);
        bool fail = path.StartsWith("/down/", StringComparison.Ordinal) || (path.StartsWith("/flaky/", StringComparison.Ordinal) && hit == 1);
        context.Response.StatusCode = fail ? 500 : 200;
    }

    public JsonObject[] For(string path) => Received.Where(r => r.Path == path).Select(r => r.Body).ToArray();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
