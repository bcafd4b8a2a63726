using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace CsMetrics.Grains.Telemetry;

/// <summary>
/// The product's own instruments, on the Meter and ActivitySource named <see cref="Name"/>.
/// Plain System.Diagnostics: the server decides how they are exported (OpenTelemetry,
/// Prometheus at <c>/metrics</c>); without a listener every call here is nearly free.
/// Tags never carry keys or payload fields — only the signal type.
/// </summary>
public static class CsMetricsTelemetry
{
    public const string Name = "CsMetrics";

    public static readonly Meter Meter = new(Name);

    public static readonly ActivitySource ActivitySource = new(Name);

    /// <summary>Signals newly applied to an account, tagged <c>type</c> (usage, ticket, survey, revenue).</summary>
    public static readonly Counter<long> SignalsIngested =
        Meter.CreateCounter<long>("csmetrics.signals.ingested", description: "Signals applied to their account, by type");

    /// <summary>Signals dropped because their id was already applied (client re-sends, replays).</summary>
    public static readonly Counter<long> SignalsDuplicate =
        Meter.CreateCounter<long>("csmetrics.signals.duplicates", description: "Signals dropped as already applied (same id)");

    /// <summary>Signals refused at ingest because the node's memory was above its limit (Ingest.IngestAdmission).</summary>
    public static readonly Counter<long> SignalsRefused =
        Meter.CreateCounter<long>("csmetrics.signals.refused", description: "Signals refused (503) while memory use was above CsMetrics:Memory:RefuseIngestAbovePercent");

    /// <summary>Score or band changes recorded by account grains.</summary>
    public static readonly Counter<long> ScoreChanges =
        Meter.CreateCounter<long>("csmetrics.score.changes", description: "Health score or band changes");

    /// <summary>From the start of an ingest (before the log append) to the batch being applied to its grains.</summary>
    public static readonly Histogram<double> IngestApplyLatency =
        Meter.CreateHistogram<double>("csmetrics.ingest.apply.latency", unit: "ms", description: "Ingest-to-apply latency of a batch");

    private static long s_activeAccounts;

    /// <summary>Account grains activated in this process (activations minus deactivations).</summary>
    public static readonly ObservableGauge<long> ActiveAccounts =
        Meter.CreateObservableGauge("csmetrics.accounts.active", () => Interlocked.Read(ref s_activeAccounts), description: "Activated account grains in this process");

    /// <summary>
    /// Managed memory as memory-pressure shedding measures it, as a percentage of what the
    /// process may use: accounts are shed above CsMetrics:Memory:ShedAbovePercent (80), new
    /// signals refused above CsMetrics:Memory:RefuseIngestAbovePercent (90).
    /// </summary>
    public static readonly ObservableGauge<double> MemoryUsage =
        Meter.CreateObservableGauge("csmetrics.memory.usage", MemoryPressureTrigger.UsagePercent, unit: "%", description: "Managed memory as a percentage of what the process may use (accounts are shed above CsMetrics:Memory:ShedAbovePercent, signals refused above RefuseIngestAbovePercent)");

    private static LogSource[] s_logSources = [];

    /// <summary>
    /// Ingest log entries past the last checkpoint (what a restart replays), per registered log.
    /// The instrument is static, so it lives as long as the process; hosts register their log.
    /// </summary>
    public static readonly ObservableGauge<long> IngestLogLag =
        Meter.CreateObservableGauge("csmetrics.ingest.log.lag", () => Observe(static s => s.Lag()), description: "Ingest log entries past the last checkpoint (replayed on restart)");

    /// <summary>Ingest log entries logged but not yet applied to their grains.</summary>
    public static readonly ObservableGauge<long> IngestLogUnapplied =
        Meter.CreateObservableGauge("csmetrics.ingest.log.unapplied", () => Observe(static s => s.Unapplied()), description: "Ingest log entries not yet applied to their grains");

    /// <summary>
    /// Registers a log's readings for the two gauges above; a reading of null is skipped.
    /// Dispose the result when the log goes away.
    /// </summary>
    public static IDisposable RegisterIngestLog(Func<long?> lag, Func<long?> unapplied)
    {
        var source = new LogSource(lag, unapplied);
        lock (s_gate)
        {
            s_logSources = [.. s_logSources, source];
        }
        return new Registration(source);
    }

    private static readonly object s_gate = new();

    private static IEnumerable<Measurement<long>> Observe(Func<LogSource, long?> read)
    {
        foreach (var source in Volatile.Read(ref s_logSources))
        {
            if (read(source) is { } value)
            {
                yield return new Measurement<long>(value);
            }
        }
    }

    private sealed record LogSource(Func<long?> Lag, Func<long?> Unapplied);

    private sealed class Registration(LogSource source) : IDisposable
    {
        public void Dispose()
        {
            lock (s_gate)
            {
                s_logSources = [.. s_logSources.Where(s => !ReferenceEquals(s, source))];
            }
        }
    }

    public static void AccountActivated() => Interlocked.Increment(ref s_activeAccounts);

    public static void AccountDeactivated() => Interlocked.Decrement(ref s_activeAccounts);
}
