using CsMetrics.Grains.Ingest;
using CsMetrics.Server.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CsMetrics.Server.Integrations;

/// <summary>
/// Consumes a Redis stream through a consumer group (docs/integrations.md#redis-streams-feed):
/// every node reads new entries as its own consumer, ingests them through the same durable path
/// as HTTP (<see cref="SignalIngestor"/>: ingest log, then the accounts) and acknowledges an entry
/// only after that. An unreadable entry is copied with its error to <c>&lt;stream&gt;:rejected</c>
/// and acknowledged. Entries another consumer read but never acknowledged (it died) are claimed
/// with XAUTOCLAIM once idle for <see cref="RedisStreamFeedOptions.ClaimIdle"/>; one delivered
/// more than <see cref="RedisStreamFeedOptions.MaxDeliveries"/> times goes to <c>:rejected</c>
/// too. Delivery is at least once; the accounts' signal-id dedup makes it exactly once in effect.
/// Consumers left by nodes that are gone are removed once idle with nothing pending.
/// </summary>
public sealed class RedisStreamFeed(
    SignalIngestor ingestor,
    IngestReadiness readiness,
    IngestAdmission admission,
    IOptions<RedisStreamFeedOptions> feedOptions,
    IOptions<CsMetricsOptions> serverOptions,
    TimeProvider time,
    ILogger<RedisStreamFeed> logger) : BackgroundService
{
    private static readonly TimeSpan RetryAfterError = TimeSpan.FromSeconds(1);

    private readonly RedisStreamFeedOptions _o = feedOptions.Value;

    /// <summary>This node's last ingest error per pending entry id, for a dead-lettered entry's error field (bounded).</summary>
    private readonly Dictionary<string, string> _lastErrors = [];
    private readonly string _consumer = feedOptions.Value.Consumer
        ?? $"{Environment.MachineName}-{serverOptions.Value.SiloPort}-{Guid.NewGuid().ToString("N")[..8]}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_o.Enabled)
        {
            return;
        }
        if (string.IsNullOrWhiteSpace(_o.Connection))
        {
            logger.LogWarning("Redis stream feed: stream {Stream} is configured but no Redis connection (CSMETRICS_REDIS); the feed is off", _o.Stream);
            return;
        }
        // Nothing is ingested before recovery has replayed the log (the HTTP API answers 503 meanwhile).
        await readiness.WhenReady.WaitAsync(stoppingToken);
        var configuration = ConfigurationOptions.Parse(_o.Connection);
        configuration.AbortOnConnectFail = false; // keep retrying a Redis that is not up yet
        await using var redis = await ConnectionMultiplexer.ConnectAsync(configuration);
        var db = redis.GetDatabase();
        logger.LogInformation("Redis stream feed: consuming {Stream} in group {Group} as {Consumer}", _o.Stream, _o.Group, _consumer);

        bool groupReady = false;
        var claimEvery = TimeSpan.FromTicks(Math.Max(_o.ClaimIdle.Ticks / 2, TimeSpan.FromMilliseconds(100).Ticks));
        var nextClaim = DateTimeOffset.MinValue;
        var cleanEvery = TimeSpan.FromTicks(Math.Max(_o.ConsumerExpiry.Ticks / 4, TimeSpan.FromMilliseconds(100).Ticks));
        var nextClean = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!groupReady)
                {
                    await EnsureGroupAsync(db);
                    groupReady = true;
                }
                if (admission.IsRefusing)
                {
                    // Short of memory (IngestAdmission logs it): read nothing, claim nothing; the
                    // stream keeps every entry until the node can take them again.
                    await Task.Delay(IngestAdmission.RetryAfter, time, stoppingToken);
                    continue;
                }
                if (time.GetUtcNow() >= nextClaim)
                {
                    await ClaimIdleAsync(db, stoppingToken);
                    nextClaim = time.GetUtcNow() + claimEvery;
                }
                if (time.GetUtcNow() >= nextClean)
                {
                    await RemoveGoneConsumersAsync(db);
                    nextClean = time.GetUtcNow() + cleanEvery;
                }
                var entries = await db.StreamReadGroupAsync(_o.Stream, _o.Group, _consumer, StreamPosition.NewMessages, _o.ReadCount);
                foreach (var entry in entries)
                {
                    if (admission.IsRefusing)
                    {
                        break; // the rest stay pending and are claimed again after the idle time
                    }
                    await TryHandleAsync(db, entry, stoppingToken);
                }
                if (entries.Length == 0)
                {
                    await Task.Delay(_o.PollInterval, time, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // Redis away, the group deleted (NOGROUP), an ingest failure: what was not acknowledged
                // stays pending and is claimed again after the idle time.
                groupReady &= ex is not RedisServerException;
                logger.LogWarning(ex, "Redis stream feed: {Error}; retrying", ex.Message);
                try
                {
                    await Task.Delay(RetryAfterError, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        await LeaveGroupAsync(db);
    }

    /// <summary>
    /// A stopping node removes its consumer when nothing is pending with it (a consumer deleted
    /// with pending entries would orphan them); otherwise the entries are claimed by the others
    /// and the consumer goes once it has expired. Bounded: Redis may be the reason for the stop.
    /// </summary>
    private async Task LeaveGroupAsync(IDatabase db)
    {
        try
        {
            if (await DeleteIfIdleAsync(db, _consumer, idleAtLeastMs: 0).WaitAsync(TimeSpan.FromSeconds(2)))
            {
                logger.LogInformation("Redis stream feed: consumer {Consumer} left group {Group}", _consumer, _o.Group);
            }
        }
        catch (Exception ex)
        {
            logger.LogInformation("Redis stream feed: consumer {Consumer} stays in group {Group} ({Error}); it is removed once expired", _consumer, _o.Group, ex.Message);
        }
    }

    /// <summary>
    /// XGROUP DELCONSUMER for every other consumer with nothing pending that has not read for
    /// <see cref="RedisStreamFeedOptions.ConsumerExpiry"/>: nodes that died (a live one reads
    /// every poll interval). Without it every start of every node left one more name behind.
    /// </summary>
    private async Task RemoveGoneConsumersAsync(IDatabase db)
    {
        long expiry = (long)_o.ConsumerExpiry.TotalMilliseconds;
        foreach (var c in await db.StreamConsumerInfoAsync(_o.Stream, _o.Group))
        {
            if (c.Name != _consumer && c.PendingMessageCount == 0 && c.IdleTimeInMilliseconds >= expiry
                && await DeleteIfIdleAsync(db, c.Name!, expiry))
            {
                logger.LogInformation("Redis stream feed: removed consumer {Consumer} from group {Group}: nothing pending, idle for {Idle}", c.Name, _o.Group, TimeSpan.FromMilliseconds(c.IdleTimeInMilliseconds));
            }
        }
    }

    /// <summary>Creates the group (and the stream) if missing, from the stream's start: entries added before any node ran are read too.</summary>
    private async Task EnsureGroupAsync(IDatabase db)
    {
        try
        {
            await db.StreamCreateConsumerGroupAsync(_o.Stream, _o.Group, StreamPosition.Beginning, createStream: true);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // Another node (or an earlier run) created it.
        }
    }

    /// <summary>XAUTOCLAIM: takes over every entry pending (with any consumer, this one included) for longer than the idle time.</summary>
    private async Task ClaimIdleAsync(IDatabase db, CancellationToken stoppingToken)
    {
        RedisValue cursor = "0-0";
        long minIdle = (long)_o.ClaimIdle.TotalMilliseconds;
        do
        {
            var claimed = await db.StreamAutoClaimAsync(_o.Stream, _o.Group, _consumer, minIdle, cursor, _o.ReadCount);
            if (claimed.ClaimedEntries.Length > 0)
            {
                logger.LogInformation("Redis stream feed: claimed {Count} entries idle for {Idle}", claimed.ClaimedEntries.Length, _o.ClaimIdle);
            }
            var deliveries = await DeliveriesAsync(db, claimed.ClaimedEntries);
            foreach (var entry in claimed.ClaimedEntries)
            {
                if (!entry.IsNull && deliveries.TryGetValue(entry.Id!, out int n) && n > _o.MaxDeliveries)
                {
                    string last = _lastErrors.Remove(entry.Id!, out var e) ? e : "see the nodes' logs";
                    await RejectAsync(db, entry, $"not ingested after {n - 1} deliveries; last error: {last}");
                    continue;
                }
                await TryHandleAsync(db, entry, stoppingToken);
            }
            cursor = claimed.NextStartId;
        }
        while (cursor != "0-0" && !stoppingToken.IsCancellationRequested);
    }

    /// <summary>
    /// Checks and deletes in one step (a script runs atomically): a consumer that read entries
    /// between a separate check and the delete would have them dropped from the pending list, and
    /// an entry dropped there is never delivered again.
    /// </summary>
    private const string DeleteIfIdleScript = """
        local consumers = redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
        for _, c in ipairs(consumers) do
          local f = {}
          for i = 1, #c, 2 do f[c[i]] = c[i + 1] end
          if f['name'] == ARGV[2] then
            if f['pending'] == 0 and f['idle'] >= tonumber(ARGV[3]) then
              redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
              return 1
            end
            return 0
          end
        end
        return 0
        """;

    /// <summary>Deletes the consumer if it has nothing pending and has not read for <paramref name="idleAtLeastMs"/>; true when deleted.</summary>
    private async Task<bool> DeleteIfIdleAsync(IDatabase db, string consumer, long idleAtLeastMs) =>
        (long)await db.ScriptEvaluateAsync(DeleteIfIdleScript, [_o.Stream], [_o.Group, consumer, idleAtLeastMs]) == 1;

    /// <summary>
    /// How often each claimed entry has been delivered, this claim included: XPENDING per id
    /// (pipelined). One query over the claimed ids' range, limited to their number, could return
    /// this consumer's other pending entries in that range instead of some of them.
    /// </summary>
    private async Task<Dictionary<string, int>> DeliveriesAsync(IDatabase db, StreamEntry[] claimed)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var lookups = claimed.Where(e => !e.IsNull)
            .Select(e => db.StreamPendingMessagesAsync(_o.Stream, _o.Group, 1, _consumer, e.Id, e.Id))
            .ToArray();
        foreach (var found in await Task.WhenAll(lookups))
        {
            foreach (var p in found)
            {
                counts[p.MessageId!] = p.DeliveryCount;
            }
        }
        return counts;
    }

    /// <summary>Copied with its error to <c>:rejected</c>, then acknowledged: a crash in between leaves it pending, so it is never lost (at worst rejected twice).</summary>
    private async Task RejectAsync(IDatabase db, StreamEntry entry, string error)
    {
        var fields = new List<NameValueEntry> { new("error", error), new("source_id", entry.Id), new("consumer", _consumer) };
        fields.AddRange(entry.Values.Where(v => v.Name != "error" && v.Name != "source_id" && v.Name != "consumer"));
        await db.StreamAddAsync(_o.RejectedStream, [.. fields], maxLength: _o.RejectedMaxLength, useApproximateMaxLength: true);
        await db.StreamAcknowledgeAsync(_o.Stream, _o.Group, entry.Id);
        logger.LogWarning("Redis stream feed: entry {Id} rejected to {Rejected}: {Error}", entry.Id, _o.RejectedStream, error);
    }

    /// <summary>
    /// One entry that fails stays pending (claimed again after the idle time, up to the delivery
    /// limit) without holding back the entries read with it: they would otherwise be claimed, and
    /// counted as delivered, along with it every round without ever being tried.
    /// </summary>
    private async Task TryHandleAsync(IDatabase db, StreamEntry entry, CancellationToken stoppingToken)
    {
        try
        {
            await HandleAsync(db, entry, stoppingToken);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested && ex is not RedisException)
        {
            logger.LogWarning(ex, "Redis stream feed: entry {Id} not ingested ({Error}); it stays pending and is claimed again after {Idle}", entry.Id, ex.Message, _o.ClaimIdle);
        }
    }

    private async Task HandleAsync(IDatabase db, StreamEntry entry, CancellationToken stoppingToken)
    {
        if (entry.IsNull)
        {
            return; // deleted from the stream while pending
        }
        var server = serverOptions.Value;
        var content = RedisStreamEntryReader.Read(entry, server.MaxBatchSignals, server.MaxRequestBodyBytes, time.GetUtcNow());
        if (content.Error is { } error)
        {
            await RejectAsync(db, entry, error);
            return;
        }
        // Acknowledged only once the batch is in the ingest log and applied.
        try
        {
            await ingestor.IngestAsync(content.Signals, stoppingToken);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            if (_lastErrors.Count >= 1_000)
            {
                _lastErrors.Clear();
            }
            _lastErrors[entry.Id!] = ex.Message;
            throw;
        }
        _lastErrors.Remove(entry.Id!);
        await db.StreamAcknowledgeAsync(_o.Stream, _o.Group, entry.Id);
    }
}
