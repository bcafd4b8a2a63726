using System.Globalization;
using System.Runtime.CompilerServices;
using StackExchange.Redis;

namespace CsMetrics.Grains.Ingest;

/// <summary>
/// Cluster mode's ingest log: one Redis stream per node start (<c>csmetrics:log:{name}</c>), entry
/// ids <c>0-{sequence}</c>, the checkpoint in <c>csmetrics:log:{name}:checkpoint</c>, and the
/// node's heartbeat in the hash <c>csmetrics:logs</c> so other nodes can tell when the log is
/// orphaned and replay it (<see cref="OrphanLogAdopter"/>). An append completes when Redis has
/// the entry; how durable that is, is Redis's persistence setting (docs/durability.md).
/// <para>
/// Appends are pipelined on the shared connection, which keeps them in order without waiting for
/// each reply: the Redis equivalent of the SQLite log's group commit.
/// </para>
/// </summary>
public sealed class RedisIngestLog : IIngestLog
{
    public const string FieldName = "b";
    private const int ReadPage = 256;

    private readonly IDatabase _db;
    private readonly object _order = new();
    private long _lastSequence;

    public RedisIngestLog(IConnectionMultiplexer redis, string name, string keyPrefix = RedisLogKeys.DefaultPrefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        _db = redis.GetDatabase();
        Name = name;
        Keys = new RedisLogKeys(keyPrefix);
    }

    public string Name { get; }

    public RedisLogKeys Keys { get; }

    public long LastSequence => Interlocked.Read(ref _lastSequence);

    /// <summary>
    /// Takes over an existing log's position (when adopting it): appends are not allowed then, only
    /// reads and the checkpoint.
    /// </summary>
    public async Task LoadLastSequenceAsync()
    {
        var last = await _db.StreamRangeAsync(Keys.Stream(Name), "-", "+", 1, Order.Descending);
        Interlocked.Exchange(ref _lastSequence, last.Length == 0 ? 0 : ParseSequence(last[0].Id));
    }

    public async ValueTask<long> AppendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        long seq;
        Task<RedisValue> sent;
        lock (_order)
        {
            // Ids must rise in Redis; handing out the sequence and sending under one lock keeps
            // the commands in sequence order on the connection.
            seq = ++_lastSequence;
            sent = _db.StreamAddAsync(Keys.Stream(Name), FieldName, payload, EntryId(seq));
        }
        try
        {
            await sent;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw new IngestAppendFailedException(seq, ex);
        }
        return seq;
    }

    public async IAsyncEnumerable<IngestLogEntry> ReadAfterAsync(long afterSeq, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        long from = afterSeq + 1;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var page = await _db.StreamRangeAsync(Keys.Stream(Name), EntryId(from), "+", ReadPage);
            foreach (var entry in page)
            {
                long seq = ParseSequence(entry.Id);
                byte[]? payload = entry[FieldName];
                if (payload is not null)
                {
                    yield return new IngestLogEntry(seq, payload);
                }
                from = seq + 1;
            }
            if (page.Length < ReadPage)
            {
                yield break;
            }
        }
    }

    public async ValueTask<long> GetCheckpointAsync(CancellationToken cancellationToken = default)
    {
        var value = await _db.StringGetAsync(Keys.Checkpoint(Name));
        return value.HasValue ? (long)value : 0;
    }

    public async ValueTask SetCheckpointAsync(long seq, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(seq, LastSequence);
        await _db.StringSetAsync(Keys.Checkpoint(Name), seq);
        // MINID keeps entries with id >= 0-(seq+1): everything at or below the checkpoint goes.
        await _db.StreamTrimByMinIdAsync(Keys.Stream(Name), EntryId(seq + 1));
    }

    /// <summary>Tells the other nodes this log's owner is alive.</summary>
    public Task HeartbeatAsync(DateTimeOffset now) =>
        _db.HashSetAsync(Keys.Registry, Name, now.ToUnixTimeMilliseconds());

    /// <summary>Removes the log and its registration: only once everything in it is in checkpointed state.</summary>
    public async Task DeleteAsync()
    {
        await _db.KeyDeleteAsync([Keys.Stream(Name), Keys.Checkpoint(Name)]);
        await _db.HashDeleteAsync(Keys.Registry, Name);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static string EntryId(long seq) => "0-" + seq.ToString(CultureInfo.InvariantCulture);

    private static long ParseSequence(RedisValue id)
    {
        string s = id.ToString();
        return long.Parse(s.AsSpan(s.IndexOf('-') + 1), CultureInfo.InvariantCulture);
    }
}

/// <summary>Where the cluster's ingest logs live in Redis.</summary>
public sealed record RedisLogKeys(string Prefix)
{
    public const string DefaultPrefix = "csmetrics";

    /// <summary>Hash: log name → its owner's last heartbeat (unix ms).</summary>
    public RedisKey Registry => Prefix + ":logs";

    public RedisKey Stream(string log) => Prefix + ":log:" + log;

    public RedisKey Checkpoint(string log) => Prefix + ":log:" + log + ":checkpoint";

    /// <summary>Held by the node replaying an orphaned log, so two nodes do not adopt it at once.</summary>
    public RedisKey Adoption(string log) => Prefix + ":log:" + log + ":adopter";
}
