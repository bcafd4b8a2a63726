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
/// with XAUTOCLAIM once idle for <see cref="RedisStreamFeedOptions.ClaimIdle"/>. Delivery is at
/// least once; the accounts' signal-id dedup makes it exactly once in effect.
/// </summary>
public sealed class RedisStreamFeed(
    SignalIngestor ingestor,
    IngestReadiness readiness,
    IOptions<RedisStreamFeedOptions> feedOptions,
    IOptions<CsMetricsOptions> serverOptions,
    TimeProvider time,
    ILogger<RedisStreamFeed> logger) : BackgroundService
{
    private static readonly TimeSpan RetryAfterError = TimeSpan.FromSeconds(1);

    private readonly RedisStreamFeedOptions _o = feedOptions.Value;
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
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!groupReady)
                {
                    await EnsureGroupAsync(db);
                    groupReady = true;
                }
                if (time.GetUtcNow() >= nextClaim)
                {
                    await ClaimIdleAsync(db, stoppingToken);
                    nextClaim = time.GetUtcNow() + claimEvery;
                }
                var entries = await db.StreamReadGroupAsync(_o.Stream, _o.Group, _consumer, StreamPosition.NewMessages, _o.ReadCount);
                foreach (var entry in entries)
                {
                    await HandleAsync(db, entry, stoppingToken);
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
                await Task.Delay(RetryAfterError, time, stoppingToken);
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
            foreach (var entry in claimed.ClaimedEntries)
            {
                await HandleAsync(db, entry, stoppingToken);
            }
            cursor = claimed.NextStartId;
        }
        while (cursor != "0-0" && !stoppingToken.IsCancellationRequested);
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
            // Copied before the ack: a crash in between leaves it pending, so it is never lost (at worst rejected twice).
            var fields = new List<NameValueEntry> { new("error", error), new("source_id", entry.Id), new("consumer", _consumer) };
            fields.AddRange(entry.Values.Where(v => v.Name != "error" && v.Name != "source_id" && v.Name != "consumer"));
            await db.StreamAddAsync(_o.RejectedStream, [.. fields], maxLength: _o.RejectedMaxLength, useApproximateMaxLength: true);
            await db.StreamAcknowledgeAsync(_o.Stream, _o.Group, entry.Id);
            logger.LogWarning("Redis stream feed: entry {Id} rejected to {Rejected}: {Error}", entry.Id, _o.RejectedStream, error);
            return;
        }
        // Acknowledged only once the batch is in the ingest log and applied.
        await ingestor.IngestAsync(content.Signals, stoppingToken);
        await db.StreamAcknowledgeAsync(_o.Stream, _o.Group, entry.Id);
    }
}
