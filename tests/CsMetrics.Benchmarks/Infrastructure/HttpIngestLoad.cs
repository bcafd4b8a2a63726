using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace CsMetrics.Benchmarks.Infrastructure;

/// <summary>Posts pre-serialized batches with a fixed number in flight; every answer must be a 202.</summary>
public static class HttpIngestLoad
{
    public const string IngestPath = "/api/v1/signals";
    public const string CeilingPath = "/api/v1/benchmark/ceiling";

    /// <summary>Sends every batch; returns signals per second over the whole send.</summary>
    public static async Task<double> SendAsync(HttpClient client, string path, byte[][] batches, int signals, int concurrency)
    {
        int next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < batches.Length)
            {
                await PostAsync(client, path, batches[i]);
            }
        }));
        return signals / watch.Elapsed.TotalSeconds;
    }

    public static async Task PostAsync(HttpClient client, string path, byte[] batch)
    {
        using var content = new ByteArrayContent(batch);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync(path, content);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"POST {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }
}
