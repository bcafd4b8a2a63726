using CsMetrics.Benchmarks.Infrastructure;
using System.Diagnostics;
using CsMetrics.Contracts.Voc;
using CsMetrics.Grains;
using CsMetrics.Grains.Accounts;
using CsMetrics.Grains.Ingest;
using CsMetrics.Grains.Voc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CsMetrics.Benchmarks;

/// <summary>
/// A full month of NPS comments (the store's cap, 50,000) and the VoC queries over it: the first
/// count after a change of themes (every comment matched) and the next ones (masks kept).
/// </summary>
public static class VocBenchmark
{
    private static readonly string[] Texts =
    [
        "Too expensive for what we use", "The export crashes every other day", "Support answered within the hour",
        "Setup took weeks, the docs did not help", "Dashboards are slow to load", "Love it, nothing to add",
        "Pricing is fine but there are bugs", "Great onboarding session with Maria",
    ];

    public static async Task RunAsync(int comments)
    {
        using var dir = BenchContext.NewTempDirectory("voc");
        using var host = await InProcessSilo.StartInMemoryAsync(dir.Path);
        try
        {
            var grains = host.Services.GetRequiredService<IGrainFactory>();
            var store = grains.GetGrain<IVocCommentStore>("2026-10");
            var month = new DateTimeOffset(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);
            for (int i = 0; i < comments; i++)
            {
                await store.Add(new VocComment($"s{i}", $"acc-{i % 5000}", i % 3 == 0 ? "smb" : "enterprise", null, i % 11,
                    Scoring.Voc.NpsCategory.Of(i % 11), month.AddMinutes(i % 40_000), $"{Texts[i % Texts.Length]} #{i}"));
            }
            var filter = new VocFilter(month, month.AddMonths(1), null, null, null);
            var defaults = new VocThemeSet(1, VocThemesGrain.Defaults);
            var first = Stopwatch.StartNew();
            var counts = await store.Count(defaults, filter);
            first.Stop();
            var again = Stopwatch.StartNew();
            await store.Count(defaults, filter with { Segment = "smb" });
            again.Stop();
            var page = Stopwatch.StartNew();
            var bugs = await store.Comments(defaults, "bugs", filter, 50);
            page.Stop();
            Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}");
            Console.WriteLine($"voc, {counts.Comments:N0} comments in a month");
            Console.WriteLine($"count, themes just changed (every comment matched): {first.Elapsed.TotalMilliseconds,8:F0} ms");
            Console.WriteLine($"count, same themes (kept masks), one segment:        {again.Elapsed.TotalMilliseconds,8:F0} ms");
            Console.WriteLine($"comments of one theme, newest 50 of {bugs.Total:N0}:        {page.Elapsed.TotalMilliseconds,8:F0} ms");
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
