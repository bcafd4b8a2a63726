using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace CsMetrics.Grains;

/// <summary>
/// Bounding a node's memory (bound from "CsMetrics:Memory"). Every account that got a signal in
/// the last <see cref="IdleAfter"/> is resident (~13 KB managed each, docs/benchmarks.md), so a
/// node with more busy accounts than memory would run out. Orleans deactivates the least recently
/// used activations whenever the managed heap is above <see cref="ShedAbovePercent"/> of what the
/// process may use (the container limit or the machine's memory, as the GC sees it), until it is
/// back under <see cref="ShedToPercent"/>; <see cref="MemoryPressureTrigger"/> makes it look in
/// time. A deactivated account writes its state and comes back from it with its next signal: a
/// read from storage instead of a resident object. On by default: a node that would otherwise be
/// killed for memory keeps running, and below the limit nothing changes.
/// </summary>
public sealed class MemoryOptions
{
    public const string Section = "CsMetrics:Memory";

    /// <summary>Shed activations above this percentage (0–100) of available memory; 0 turns shedding off.</summary>
    public double ShedAbovePercent { get; set; } = 80;

    /// <summary>Shed until usage is back under this percentage; 0 means 10 points below <see cref="ShedAbovePercent"/>.</summary>
    public double ShedToPercent { get; set; }

    /// <summary>How often memory use is looked at while shedding is on.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>An activation not called for this long is deactivated, pressure or not (Orleans' collection age).</summary>
    public TimeSpan IdleAfter { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How long a deactivating account may take to write its state before Orleans stops waiting
    /// for it (Orleans' own default is 30 s). Shedding deactivates tens of thousands of accounts at
    /// once, all writing through one storage writer on a node short of memory: measured, writes
    /// took up to 20 s, and a deactivation given up on is, for the checkpoint, one whose silo died
    /// — the log is replayed past the checkpoint, re-activating accounts while memory is short.
    /// </summary>
    public TimeSpan DeactivationTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>
    /// Refuse new signals (HTTP 503 with Retry-After; the Redis feed pauses) while memory use is above
    /// this percentage, until shedding has brought it back under (<see cref="Ingest.IngestAdmission"/>);
    /// 0 turns it off. Unset: halfway between <see cref="ShedAbovePercent"/> and 100 (90 by
    /// default; 90 also with shedding off). Must be above <see cref="ShedAbovePercent"/>:
    /// shedding gets the first go.
    /// </summary>
    public double? RefuseIngestAbovePercent { get; set; }

    /// <summary>The limit <see cref="RefuseIngestAbovePercent"/> stands for (0: off).</summary>
    public double RefuseIngestLimit => RefuseIngestAbovePercent ?? (ShedAbovePercent > 0 ? (ShedAbovePercent + 100) / 2 : 90);

    /// <summary>The Orleans collection options these stand for; throws on values Orleans would refuse, naming ours.</summary>
    internal void ApplyTo(GrainCollectionOptions collection)
    {
        collection.CollectionAge = IdleAfter;
        collection.DeactivationTimeout = DeactivationTimeout;
        double refuse = RefuseIngestLimit;
        if (refuse < 0 || refuse > 100 || (refuse > 0 && ShedAbovePercent > 0 && refuse <= ShedAbovePercent))
        {
            throw new OptionsValidationException(Section, typeof(MemoryOptions),
                [$"{Section}: RefuseIngestAbovePercent ({refuse}) must be 0 (off) or at most 100 and above ShedAbovePercent ({ShedAbovePercent})"]);
        }
        if (ShedAbovePercent <= 0)
        {
            return;
        }
        double target = ShedToPercent > 0 ? ShedToPercent : Math.Max(ShedAbovePercent - 10, ShedAbovePercent / 2);
        if (ShedAbovePercent > 100 || target >= ShedAbovePercent)
        {
            throw new OptionsValidationException(Section, typeof(MemoryOptions),
                [$"{Section}: ShedAbovePercent ({ShedAbovePercent}) must be at most 100 and above ShedToPercent ({target})"]);
        }
        collection.EnableActivationSheddingOnMemoryPressure = true;
        collection.MemoryUsageLimitPercentage = ShedAbovePercent;
        collection.MemoryUsageTargetPercentage = target;
        collection.MemoryUsagePollingPeriod = CheckInterval;
    }
}
