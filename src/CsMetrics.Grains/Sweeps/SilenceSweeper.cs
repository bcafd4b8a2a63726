using System.Diagnostics;
using CsMetrics.Contracts.Index;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CsMetrics.Grains.Sweeps;

public sealed class SweepOptions
{
    public const string Section = "CsMetrics:Sweep";

    /// <summary>How often every account is re-evaluated if nothing else did it (CSMETRICS_SWEEP_INTERVAL).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Accounts one shard wakes per call; bounds each grain call's length.</summary>
    public int ChunkSize { get; set; } = 1000;
}

public readonly record struct SweepReport(int Touched, TimeSpan Elapsed);

/// <summary>
/// Silence is a signal: an account that stops sending usage must lose engagement though no
/// signal arrives and its grain sleeps. Instead of a durable reminder per account (which does
/// not scale to a million), the 16 index shards — which know every account and when its score
/// last moved — each wake only the accounts not evaluated for an interval, in chunks. Every
/// silo runs this loop; a shard already swept finds nothing due, so overlap costs a scan.
/// </summary>
public sealed class SilenceSweeper(IGrainFactory grains, IOptions<SweepOptions> options, TimeProvider time, ILogger<SilenceSweeper> logger)
{
    public async Task<SweepReport> SweepOnceAsync(CancellationToken cancellationToken = default)
    {
        var o = options.Value;
        var started = Stopwatch.GetTimestamp();
        var round = time.GetUtcNow();
        int touched = 0;
        await Task.WhenAll(Enumerable.Range(0, AccountIndex.ShardCount).Select(async shard =>
        {
            var grain = grains.GetGrain<IAccountIndexShard>(shard);
            while (!cancellationToken.IsCancellationRequested)
            {
                var result = await grain.Sweep(o.Interval, o.ChunkSize, round);
                Interlocked.Add(ref touched, result.Touched);
                if (result.Remaining == 0)
                {
                    break;
                }
            }
        }));
        var elapsed = Stopwatch.GetElapsedTime(started);
        if (touched > 0)
        {
            logger.LogInformation("Sweep re-evaluated {Accounts} accounts in {Elapsed}", touched, elapsed);
        }
        return new SweepReport(touched, elapsed);
    }

    public async Task RunAsync(CancellationToken stop)
    {
        // Check a few times per interval so an account is never much later than its due time.
        var tick = TimeSpan.FromTicks(Math.Clamp(options.Value.Interval.Ticks / 4, TimeSpan.FromSeconds(1).Ticks, TimeSpan.FromDays(1).Ticks));
        using var timer = new PeriodicTimer(tick, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                try
                {
                    await SweepOnceAsync(stop);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogError(ex, "Sweep failed; the next tick tries again");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
