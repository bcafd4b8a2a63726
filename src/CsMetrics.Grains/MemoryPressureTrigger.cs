using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CsMetrics.Grains;

/// <summary>
/// Gets Orleans' memory-pressure shedding (<see cref="MemoryOptions"/>) going in time. Orleans looks
/// at memory use only after a full (gen 2) GC since its previous look, and a large heap may go
/// without one until it is nearly full: measured with a 6 GB heap limit, shedding started at
/// 97.5 % of it instead of 80 %, too late to write out the accounts before an OutOfMemoryException.
/// This looks at the same figure Orleans does (<see cref="UsagePercent"/>) every
/// <see cref="MemoryOptions.CheckInterval"/>, and while it is above <see cref="MemoryOptions.ShedAbovePercent"/>
/// with no gen 2 since the last look, starts a background gen 2: the GC frees what is garbage,
/// and Orleans sees what is not.
/// </summary>
public sealed class MemoryPressureTrigger(IOptions<MemoryOptions> options, ILogger<MemoryPressureTrigger> logger)
    : BackgroundService
{
    /// <summary>Background gen 2 collections this node asked for.</summary>
    public int Triggered { get; private set; }

    /// <summary>
    /// Memory use as Orleans' shedding measures it, as a percentage of what the process may use:
    /// what the GC has committed less its free lists, against the memory available to the GC (the
    /// heap hard limit or the container's or machine's memory) — the raw figure of Orleans 10's
    /// EnvironmentStatisticsProvider, which its memory-based collector compares with the limit
    /// (a test holds the two together). Computed here, not asked of Orleans' provider: every
    /// call of that feeds its filters, which placement reads.
    /// </summary>
    /// <remarks>
    /// It must be Orleans' figure: ingest is refused above a higher limit on this one
    /// (<see cref="Ingest.IngestAdmission"/>) on the promise that Orleans is shedding meanwhile.
    /// An earlier version read the managed heap against the GC's high-load threshold, which ran
    /// ahead of Orleans' figure: a node refused ingest at 90 % of it while Orleans saw under 80 %
    /// and shed nothing, and it stayed stuck there (measured, docs/benchmarks.md).
    /// </remarks>
    public static double UsagePercent()
    {
        var info = GC.GetGCMemoryInfo();
        long max = info.TotalAvailableMemoryBytes;
        if (max <= 0)
        {
            return 0;
        }
        long used = Math.Clamp(info.TotalCommittedBytes - info.FragmentedBytes, 0, max);
        return 100.0 * used / max;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        options.Value.ShedAbovePercent > 0 ? RunAsync(stoppingToken) : Task.CompletedTask;

    private async Task RunAsync(CancellationToken stop)
    {
        int gen2Seen = GC.CollectionCount(2);
        try
        {
            while (true)
            {
                // Real elapsed time, not the business clock: memory fills in real time.
                await Task.Delay(options.Value.CheckInterval, stop);
                int gen2 = GC.CollectionCount(2);
                if (gen2 == gen2Seen && UsagePercent() > options.Value.ShedAbovePercent)
                {
                    Triggered++;
                    logger.LogDebug("Memory use above {Limit} % with no full GC since the last look: starting one", options.Value.ShedAbovePercent);
                    GC.Collect(2, GCCollectionMode.Forced, blocking: false);
                    // A background GC may still run at the next look: give it one interval.
                    gen2 = -1;
                }
                gen2Seen = gen2;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
