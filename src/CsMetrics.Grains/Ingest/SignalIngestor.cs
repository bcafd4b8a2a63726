using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Signals;
using CsMetrics.Grains.Checkpoints;
using CsMetrics.Grains.Telemetry;
using CsMetrics.Scoring.Signals;
using Microsoft.Extensions.Logging;

namespace CsMetrics.Grains.Ingest;

public readonly record struct IngestResult(int Accepted, int Duplicates);

/// <summary>
/// The ingest data path: (1) append the validated batch to the durable log — from then on it
/// is acknowledged-safe; (2) group it by account and hand each group to its grain in one call;
/// (3) mark the log entry applied. A crash between (1) and (3) is repaired by replaying the log
/// past the last checkpoint at start-up; grains drop the ids they already applied, so a replay
/// counts nothing twice. docs/durability.md tells the whole story.
/// </summary>
public sealed class SignalIngestor(
    IIngestLog log,
    IGrainFactory grains,
    AppliedWatermark watermark,
    DirtyAccounts dirty,
    ILogger<SignalIngestor> logger)
{
    /// <summary>Logs then applies a batch. Completes when the batch is durable and applied.</summary>
    public async Task<IngestResult> IngestAsync(IReadOnlyList<Signal> signals, CancellationToken cancellationToken = default)
    {
        if (signals.Count == 0)
        {
            return default;
        }
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var activity = CsMetricsTelemetry.ActivitySource.StartActivity("csmetrics.ingest");
        activity?.SetTag("csmetrics.signals", signals.Count);
        long seq = await log.AppendAsync(SignalCodec.Encode(signals), cancellationToken);
        activity?.SetTag("csmetrics.log.sequence", seq);
        // From here the batch is durable: it must be applied even if the caller gave up,
        // so the rest ignores the request's cancellation.
        var result = await ApplyUntilDoneAsync(signals, seq);
        CsMetricsTelemetry.IngestApplyLatency.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return result;
    }

    /// <summary>Applies a replayed log entry (recovery); ids already applied come back as duplicates.</summary>
    public Task<IngestResult> ReplayAsync(IReadOnlyList<Signal> signals, long seq) => ApplyUntilDoneAsync(signals, seq);

    private async Task<IngestResult> ApplyUntilDoneAsync(IReadOnlyList<Signal> signals, long seq)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                var result = await ApplyAsync(signals);
                watermark.Complete(seq);
                return result;
            }
            catch (Exception ex) when (attempt < 5)
            {
                // A logged entry has to reach its grains; a transient failure (a grain moving,
                // a silo leaving) is retried. Ids make the retry idempotent.
                logger.LogWarning(ex, "Applying log entry {Sequence} ({Signals} signals; accounts {Accounts}) failed (attempt {Attempt}); retrying", seq, signals.Count, AccountsOf(signals), attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(50 * attempt));
            }
            catch (Exception ex)
            {
                // Still failing: answer the caller (it will retry; ids make that safe) but keep
                // trying in the background, so the watermark, and with it the checkpoint, moves on.
                logger.LogError(ex, "Applying log entry {Sequence} ({Signals} signals; accounts {Accounts}) keeps failing; retrying in the background", seq, signals.Count, AccountsOf(signals));
                _ = Task.Run(() => RetryForeverAsync(signals, seq));
                throw;
            }
        }
    }

    private async Task RetryForeverAsync(IReadOnlyList<Signal> signals, long seq)
    {
        for (int attempt = 1; ; attempt++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 250 * attempt)));
            try
            {
                await ApplyAsync(signals);
                watermark.Complete(seq);
                logger.LogInformation("Log entry {Sequence} applied after {Attempts} background attempts", seq, attempt);
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Background apply of log entry {Sequence} (accounts {Accounts}) failed (attempt {Attempt})", seq, AccountsOf(signals), attempt);
            }
        }
    }

    private async Task<IngestResult> ApplyAsync(IReadOnlyList<Signal> signals)
    {
        // Group by account, keeping each account's signals in request order.
        var groups = new Dictionary<string, List<Signal>>(StringComparer.Ordinal);
        foreach (var s in signals)
        {
            if (!groups.TryGetValue(s.AccountId, out var list))
            {
                groups[s.AccountId] = list = [];
            }
            list.Add(s);
        }

        if (groups.Count == 1)
        {
            var (account, list) = groups.First();
            var r = await grains.GetGrain<IAccountGrain>(account).Apply(new SignalBatch([.. list]));
            MarkDirty(groups.Keys);
            return new IngestResult(r.Accepted, r.Duplicates);
        }

        var calls = new Task<ApplyResult>[groups.Count];
        int i = 0;
        foreach (var (account, list) in groups)
        {
            calls[i++] = grains.GetGrain<IAccountGrain>(account).Apply(new SignalBatch([.. list]));
        }
        var results = await Task.WhenAll(calls);
        MarkDirty(groups.Keys);
        int accepted = 0, duplicates = 0;
        foreach (var r in results)
        {
            accepted += r.Accepted;
            duplicates += r.Duplicates;
        }
        return new IngestResult(accepted, duplicates);
    }

    /// <summary>
    /// The accounts of a batch for a log line: ids only (never keys or payload fields), at most
    /// five, so one huge batch cannot flood the log.
    /// </summary>
    private static string AccountsOf(IReadOnlyList<Signal> signals)
    {
        var ids = signals.Select(s => s.AccountId).Distinct(StringComparer.Ordinal).ToList();
        return ids.Count <= 5 ? string.Join(", ", ids) : $"{string.Join(", ", ids.Take(5))} (+{ids.Count - 5} more)";
    }

    /// <summary>
    /// The grains may live on other silos, whose dirty sets this silo's checkpointer never sees;
    /// yet it is this silo's log that the checkpoint truncates. So the accounts are marked here
    /// too, before the watermark covers the entry: the checkpoint that covers it writes them
    /// (a grain that has nothing unsaved makes that a no-op).
    /// </summary>
    private void MarkDirty(IEnumerable<string> accounts) => dirty.Mark(accounts);
}
