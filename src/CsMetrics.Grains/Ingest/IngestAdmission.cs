using CsMetrics.Grains.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CsMetrics.Grains.Ingest;

/// <summary>
/// Backpressure for a node that is running out of memory: while memory use (as shedding measures
/// it, <see cref="MemoryPressureTrigger.UsagePercent"/>) is above
/// <see cref="MemoryOptions.RefuseIngestAbovePercent"/>, new signals are refused before anything
/// is logged — HTTP and webhooks answer 503 with Retry-After, the Redis feed stops reading — and
/// accepted again once shedding has brought memory back under the limit. Shedding bounds the
/// accounts already resident, not the rate at which new ones arrive: measured, a flood of 3,000
/// brand-new accounts a second filled a 6 GB heap faster than shedding could empty it and the
/// node died of OutOfMemoryException (docs/benchmarks.md, "Refusing ingest near the memory
/// limit"). A refused batch is the sender's to retry, which every producer of signals does for a
/// 5xx; a dead node loses the batches it had accepted but not yet logged and takes its replay
/// time to come back.
/// Replays and recovery are never refused: what is in the log must be applied.
/// </summary>
public sealed class IngestAdmission
{
    /// <summary>What a refused sender is told to wait (shedding looks every few seconds).</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Refusing ends only this far below the limit (or a tenth of it, if less): memory use read
    /// near the limit goes up and down with each collection, and a node flapping in and out of
    /// refusing logs and answers inconsistently. Shedding aims 10 points lower anyway.
    /// </summary>
    public const double ResumeMargin = 5;

    private const long LogEveryMs = 60_000;

    private readonly double _limit;
    private readonly double _resumeBelow;
    private readonly Func<double> _usage;
    private readonly ILogger _logger;
    private long _nextLookMs;
    private long _nextLogMs;
    private volatile bool _refusing;
    private double _lastUsage;
    private long _refusedSignals;

    public IngestAdmission(IOptions<MemoryOptions> options, ILogger<IngestAdmission> logger)
        : this(options.Value.RefuseIngestLimit, MemoryPressureTrigger.UsagePercent, logger)
    {
    }

    internal IngestAdmission(double limitPercent, Func<double> usagePercent, ILogger logger)
    {
        _limit = limitPercent;
        _resumeBelow = limitPercent - Math.Min(ResumeMargin, limitPercent / 10);
        _usage = usagePercent;
        _logger = logger;
    }

    /// <summary>
    /// How long a reading of memory use is trusted. Reading it costs a GC info snapshot, so not
    /// per batch; 250 ms of a flood is a few MB of heap. Real elapsed time, not the business
    /// clock: memory fills in real time. Tests set it to zero to read on every call.
    /// </summary>
    internal TimeSpan LookEvery { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Signals refused since the node started.</summary>
    public long RefusedSignals => Interlocked.Read(ref _refusedSignals);

    /// <summary>Whether new signals are being refused right now.</summary>
    public bool IsRefusing
    {
        get
        {
            if (_limit <= 0)
            {
                return false;
            }
            long now = Environment.TickCount64;
            if (now >= Volatile.Read(ref _nextLookMs))
            {
                Volatile.Write(ref _nextLookMs, now + (long)LookEvery.TotalMilliseconds);
                Look();
            }
            return _refusing;
        }
    }

    /// <summary>Throws <see cref="IngestRefusedException"/> for a batch of <paramref name="signals"/> while refusing.</summary>
    public void ThrowIfRefusing(int signals)
    {
        if (!IsRefusing)
        {
            return;
        }
        Interlocked.Add(ref _refusedSignals, signals);
        CsMetricsTelemetry.SignalsRefused.Add(signals);
        throw new IngestRefusedException(Volatile.Read(ref _lastUsage), _limit, RetryAfter);
    }

    private void Look()
    {
        double usage = _usage();
        Volatile.Write(ref _lastUsage, usage);
        bool refusing = _refusing ? usage >= _resumeBelow : usage > _limit;
        if (refusing == _refusing)
        {
            return;
        }
        // Two threads may both see the change: one extra log line at worst.
        _refusing = refusing;
        long now = Environment.TickCount64;
        if (now < Volatile.Read(ref _nextLogMs))
        {
            return; // a node near its limit goes in and out: one line a minute says it
        }
        Volatile.Write(ref _nextLogMs, now + LogEveryMs);
        if (refusing)
        {
            _logger.LogWarning(
                "Memory use {Usage:F1} % is above {Section}:RefuseIngestAbovePercent ({Limit} %): new signals are refused (503, Retry-After {RetryAfter} s) until it is back under {Resume} % (shedding accounts above ShedAbovePercent gets it there; {Refused} refused since start)",
                usage, MemoryOptions.Section, _limit, RetryAfter.TotalSeconds, _resumeBelow, RefusedSignals);
        }
        else
        {
            _logger.LogInformation(
                "Memory use {Usage:F1} % is under {Resume} %: accepting signals again ({Refused} refused since start)",
                usage, _resumeBelow, RefusedSignals);
        }
    }
}

/// <summary>A batch refused before anything was logged: nothing of it was stored; send it again after <see cref="RetryAfter"/>.</summary>
public sealed class IngestRefusedException(double usagePercent, double limitPercent, TimeSpan retryAfter)
    : Exception($"The node's memory use is {usagePercent:F1} %, above its limit of {limitPercent} % for new signals; nothing was stored. Retry after {retryAfter.TotalSeconds:F0} s.")
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}
