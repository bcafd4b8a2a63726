using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Index;
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
    IngestAdmission admission,
    ILogger<SignalIngestor> logger)
{
    /// <summary>
    /// Logs then applies a batch. Completes when the batch is durable and applied. Throws
    /// <see cref="IngestRefusedException"/>, storing nothing, while the node is short of memory.
    /// </summary>
    public async Task<IngestResult> IngestAsync(IReadOnlyList<Signal> signals, CancellationToken cancellationToken = default)
    {
        if (signals.Count == 0)
        {
            return default;
        }
        admission.ThrowIfRefusing(signals.Count);
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var activity = CsMetricsTelemetry.ActivitySource.StartActivity("csmetrics.ingest");
        activity?.SetTag("csmetrics.signals", signals.Count);
        long seq;
        try
        {
            seq = await log.AppendAsync(SignalCodec.Encode(signals), cancellationToken);
        }
        catch (IngestAppendFailedException failed)
        {
            // The sequence was handed out but nothing was stored under it: the watermark must
            // not wait for it. The caller gets an error and re-sends.
            watermark.Complete(failed.Sequence);
            throw;
        }
        activity?.SetTag("csmetrics.log.sequence", seq);
        // From here the batch is durable: it must be applied even if the caller gave up,
        // so the rest ignores the request's cancellation.
        var result = await ApplyUntilDoneAsync(signals, seq);
        CsMetricsTelemetry.IngestApplyLatency.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return result;
    }

    /// <summary>Applies a replayed log entry (recovery); ids already applied come back as duplicates.</summary>
    public Task<IngestResult> ReplayAsync(IReadOnlyList<Signal> signals, long seq) => ApplyUntilDoneAsync(signals, seq);

    /// <summary>
    /// Signals of the log read into one replay window (see <see cref="ReplayLogAsync"/>): about
    /// 140 MB decoded, two windows at a time (one applied, the next decoded). Bigger windows mean
    /// fewer calls per account (a Zipf-hot account gets one call per window): restarting 1M
    /// logged signals measured 10.9–11.3 s with 262k windows, 10.0–10.3 s with 524k and 9.8–10.8 s
    /// with one window of 1M (no read-ahead left to overlap); 65k and 131k were slower still.
    /// </summary>
    public const int DefaultReplayWindowSignals = 524_288;

    /// <summary>The replay window; tests make it small to cross windows with few signals.</summary>
    internal int ReplayWindowSignals { get; set; } = DefaultReplayWindowSignals;

    /// <summary>At most this many signals of one account go to its grain in one replay call.</summary>
    public const int ReplayCallSignals = 4_096;

    /// <summary>Accounts of a replay window being applied at once.</summary>
    public const int ReplayParallelism = 1_024;

    /// <summary>
    /// Re-applies every entry of this node's log past <paramref name="afterSeq"/>. Used at start-up
    /// and when a checkpoint finds an account that lost applied entries (its silo died). Callers
    /// request a metrics rebuild afterwards: replayed signals are not published one account at a
    /// time (<see cref="IAccountGrain.Replay"/>).
    /// </summary>
    /// <remarks>
    /// Not entry by entry: entries are read into windows of about <see cref="DefaultReplayWindowSignals"/>
    /// signals, and each account gets its signals of the whole window in log order, in one call
    /// (or a few, for a hot account), instead of one call per entry it appears in. Under a Zipf
    /// mix a window of 500-signal entries names each hot account in hundreds of entries; grain
    /// calls, not scoring, were most of the replay's time. The next window is read and decoded
    /// while one is applied; windows apply one after the other, so an account's signals keep
    /// their log order.
    /// </remarks>
    public async Task<(long Entries, long Applied)> ReplayLogAsync(long afterSeq, CancellationToken cancellationToken = default)
    {
        long entries = 0, applied = 0;
        var window = new ReplayWindow();
        Task<int>? applying = null;
        await foreach (var entry in log.ReadAfterAsync(afterSeq, cancellationToken))
        {
            window.Add(entry.Sequence, SignalCodec.Decode(entry.Payload));
            entries++;
            if (window.SignalCount >= ReplayWindowSignals)
            {
                applied += applying is null ? 0 : await applying;
                applying = ApplyWindowUntilDoneAsync(window);
                window = new ReplayWindow();
            }
        }
        applied += applying is null ? 0 : await applying;
        if (window.SignalCount > 0 || window.Sequences.Count > 0)
        {
            applied += await ApplyWindowUntilDoneAsync(window);
        }
        return (entries, applied);
    }

    private Task<int> ApplyWindowUntilDoneAsync(ReplayWindow window) =>
        UntilDoneAsync(() => ApplyWindowAsync(window), () => $"log entries {window.Sequences[0]}–{window.Sequences[^1]} (replay)");

    /// <summary>
    /// Each account's signals of the window to its grain, <see cref="ReplayParallelism"/> accounts
    /// at a time; then the accounts are marked dirty with the window's last entry and every entry
    /// of the window completes in the watermark. Returns the signals accepted.
    /// </summary>
    private async Task<int> ApplyWindowAsync(ReplayWindow window)
    {
        var accounts = window.Accounts();
        var results = new ApplyResult[accounts.Length][];
        int next = -1;
        async Task WorkerAsync()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < accounts.Length)
            {
                var (account, signals) = accounts[i];
                var grain = grains.Get<IAccountGrain>(account);
                var chunks = results[i] = new ApplyResult[(signals.Count + ReplayCallSignals - 1) / ReplayCallSignals];
                for (int c = 0; c < chunks.Length; c++)
                {
                    int from = c * ReplayCallSignals;
                    var chunk = signals.GetRange(from, Math.Min(ReplayCallSignals, signals.Count - from)).ToArray();
                    chunks[c] = await grain.Replay(new SignalBatch(chunk));
                }
            }
        }
        var workers = new Task[Math.Min(ReplayParallelism, accounts.Length)];
        for (int w = 0; w < workers.Length; w++)
        {
            workers[w] = Task.Run(WorkerAsync);
        }
        try
        {
            await Task.WhenAll(workers);
        }
        finally
        {
            // Also when some accounts failed (the window is retried): the ones that applied have
            // moved on and will not report this listing again.
            // A listing is reported once: an account's newest is the last chunk that returned one.
            SendListings(results.Where(r => r is not null).Select(r => r.Select(c => c.Listing).LastOrDefault(l => l is not null)));
        }

        long last = window.Sequences[^1];
        int accepted = 0;
        for (int i = 0; i < accounts.Length; i++)
        {
            foreach (var r in results[i])
            {
                dirty.Mark(accounts[i].Account, last, r.Activation);
                accepted += r.Accepted;
            }
        }
        foreach (long seq in window.Sequences)
        {
            watermark.Complete(seq);
        }
        return accepted;
    }

    /// <summary>Log entries read for one replay step: each account's signals in log order.</summary>
    private sealed class ReplayWindow
    {
        private readonly Dictionary<string, List<Signal>> _byAccount = new(StringComparer.Ordinal);

        public List<long> Sequences { get; } = [];

        public int SignalCount { get; private set; }

        public void Add(long sequence, IReadOnlyList<Signal> signals)
        {
            Sequences.Add(sequence);
            SignalCount += signals.Count;
            foreach (var s in signals)
            {
                if (!_byAccount.TryGetValue(s.AccountId, out var list))
                {
                    _byAccount[s.AccountId] = list = [];
                }
                list.Add(s);
            }
        }

        public (string Account, List<Signal> Signals)[] Accounts() => [.. _byAccount.Select(p => (p.Key, p.Value))];
    }

    /// <summary>
    /// Applies an entry of another node's log (adopting the log of a dead node), reporting each
    /// account's applying activation to <paramref name="applied"/> for the adopter's verification.
    /// </summary>
    public async Task<IngestResult> ApplyForeignAsync(IReadOnlyList<Signal> signals, Action<string, ApplyResult> applied)
    {
        var batch = await ApplyAsync(signals);
        for (int i = 0; i < batch.Accounts.Length; i++)
        {
            applied(batch.Accounts[i], batch.Results[i]);
        }
        return batch.Total;
    }

    private Task<IngestResult> ApplyUntilDoneAsync(IReadOnlyList<Signal> signals, long seq) =>
        UntilDoneAsync(async () =>
        {
            var batch = await ApplyAsync(signals);
            MarkDirty(batch, seq);
            watermark.Complete(seq);
            return batch.Total;
        }, () => $"log entry {seq} ({signals.Count} signals; accounts {AccountsOf(signals)})");

    /// <summary>
    /// A logged entry has to reach its grains: a transient failure (a grain moving, a silo
    /// leaving) is retried, ids make every retry idempotent. Still failing after five attempts:
    /// the caller hears of it (a producer retries; ids make that safe too) while the apply goes
    /// on in the background, so the watermark, and with it the checkpoint, moves on once it succeeds.
    /// </summary>
    /// <remarks>
    /// <paramref name="describe"/> names the work for the log, only when something failed: the
    /// description of a batch lists its accounts, which cost a set and a join on every batch.
    /// </remarks>
    private async Task<T> UntilDoneAsync<T>(Func<Task<T>> apply, Func<string> describe)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await apply();
            }
            catch (Exception ex) when (attempt < 5)
            {
                logger.LogWarning(ex, "Applying {What} failed (attempt {Attempt}); retrying", describe(), attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(50 * attempt));
            }
            catch (Exception ex)
            {
                string what = describe();
                logger.LogError(ex, "Applying {What} keeps failing; retrying in the background", what);
                _ = Task.Run(() => RetryForeverAsync(apply, what));
                throw;
            }
        }
    }

    private async Task RetryForeverAsync<T>(Func<Task<T>> apply, string what)
    {
        for (int attempt = 1; ; attempt++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 250 * attempt)));
            try
            {
                await apply();
                logger.LogInformation("{What} applied after {Attempts} background attempts", what, attempt);
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Background apply of {What} failed (attempt {Attempt})", what, attempt);
            }
        }
    }

    /// <summary>One grain call per account of the batch; the accounts with what each grain did, in the same order.</summary>
    private async Task<AppliedBatch> ApplyAsync(IReadOnlyList<Signal> signals)
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

        var accounts = new string[groups.Count];
        var calls = new Task<ApplyResult>[groups.Count];
        // Listings are collected and sent per index shard only when the batch has clearly more
        // accounts than there are shards: then it saves messages. A small batch has nothing to
        // merge, and each account reporting at once gets its change to the watchlists sooner
        // (collected listings leave only when the whole batch has applied).
        bool collectListings = groups.Count > 2 * AccountIndex.ShardCount;
        int i = 0;
        foreach (var (account, list) in groups)
        {
            accounts[i] = account;
            var grain = grains.Get<IAccountGrain>(account);
            var batch = new SignalBatch([.. list]);
            calls[i++] = collectListings ? grain.ApplyAndList(batch) : grain.Apply(batch);
        }
        ApplyResult[] results;
        try
        {
            results = calls.Length == 1 ? [await calls[0]] : await Task.WhenAll(calls);
        }
        finally
        {
            // Also when some accounts failed (the entry is retried): the ones that applied have
            // moved on and will not report this listing again.
            SendListings(calls.Where(c => c.IsCompletedSuccessfully).Select(c => c.Result.Listing));
        }
        int accepted = 0, duplicates = 0;
        foreach (var r in results)
        {
            accepted += r.Accepted;
            duplicates += r.Duplicates;
        }
        return new AppliedBatch(accounts, results, new IngestResult(accepted, duplicates));
    }

    /// <summary>The accounts' new listing entries, one one-way message per index shard.</summary>
    private void SendListings(IEnumerable<IndexEntry?> listings)
    {
        Dictionary<int, List<IndexEntry>>? byShard = null;
        foreach (var entry in listings)
        {
            if (entry is { } listing)
            {
                int shard = AccountIndex.ShardOf(listing.AccountId);
                byShard ??= [];
                if (!byShard.TryGetValue(shard, out var list))
                {
                    byShard[shard] = list = [];
                }
                list.Add(listing);
            }
        }
        if (byShard is null)
        {
            return;
        }
        foreach (var (shard, list) in byShard)
        {
            var index = grains.Get<IAccountIndexShard>(shard);
            (list.Count == 1 ? index.Upsert(list[0]) : index.UpsertMany([.. list])).Ignore();
        }
    }

    private readonly record struct AppliedBatch(string[] Accounts, ApplyResult[] Results, IngestResult Total);

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
    /// too, before the watermark covers the entry, with the entry and the grain activation that
    /// applied it: the checkpoint that covers it writes them and checks that the state written is
    /// that activation's (a grain whose silo died comes back from an older checkpoint as another
    /// activation, and the log is replayed for it).
    /// </summary>
    private void MarkDirty(AppliedBatch batch, long seq) => dirty.MarkApplied(batch.Accounts, batch.Results, seq);
}
