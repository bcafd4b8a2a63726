using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using CsMetrics.Grains.Ingest;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace CsMetrics.Grains.Tests.Ingest;

public sealed class SqliteIngestLogTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "csm-log-" + Guid.NewGuid().ToString("N"));

    // Nested directory proves the log creates it.
    private string DatabasePath => Path.Combine(_directory, "nested", "ingest.db");

    private SqliteIngestLog Open(SqliteIngestLogOptions? options = null) => new(DatabasePath, options);

    private static byte[] Payload(int id, int size = 64)
    {
        var bytes = new byte[size];
        Random.Shared.NextBytes(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes, id);
        return bytes;
    }

    private static async Task<List<IngestLogEntry>> ReadAll(IIngestLog log, long after = 0)
    {
        var entries = new List<IngestLogEntry>();
        await foreach (var entry in log.ReadAfterAsync(after))
        {
            entries.Add(entry);
        }

        return entries;
    }

    [Fact]
    public async Task Sequential_appends_get_consecutive_sequences_from_one()
    {
        await using var log = Open();
        Assert.Equal(0, log.LastSequence);
        Assert.Equal(0, await log.GetCheckpointAsync());

        for (var i = 1; i <= 10; i++)
        {
            Assert.Equal(i, await log.AppendAsync(Payload(i)));
            Assert.Equal(i, log.LastSequence);
        }
    }

    [Fact]
    public async Task Concurrent_appends_get_distinct_sequences_and_are_readable_after_reopen()
    {
        const int Tasks = 32;
        const int PerTask = 60;
        var payloads = new ConcurrentDictionary<long, byte[]>();
        await using (var log = Open(new SqliteIngestLogOptions { MaxGroupEntries = 16 }))
        {
            await Task.WhenAll(Enumerable.Range(0, Tasks).Select(t => Task.Run(async () =>
            {
                for (var i = 0; i < PerTask; i++)
                {
                    var payload = Payload(t * PerTask + i, 256 + i);
                    var seq = await log.AppendAsync(payload);
                    Assert.True(payloads.TryAdd(seq, payload), $"duplicate seq {seq}");
                }
            })));
            Assert.Equal(Tasks * PerTask, log.LastSequence);
        }

        Assert.Equal(Enumerable.Range(1, Tasks * PerTask).Select(i => (long)i), payloads.Keys.Order());

        await using var reopened = Open();
        Assert.Equal(Tasks * PerTask, reopened.LastSequence);
        var entries = await ReadAll(reopened);
        Assert.Equal(Tasks * PerTask, entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            Assert.Equal(i + 1, entries[i].Sequence);
            Assert.Equal(payloads[entries[i].Sequence], entries[i].Payload.ToArray());
        }
    }

    [Fact]
    public async Task ReadAfter_returns_only_later_entries_in_order()
    {
        await using var log = Open();
        for (var i = 1; i <= 20; i++)
        {
            await log.AppendAsync(Payload(i));
        }

        var entries = await ReadAll(log, 12);
        Assert.Equal(Enumerable.Range(13, 8).Select(i => (long)i), entries.Select(e => e.Sequence));
        Assert.All(entries, e => Assert.Equal((int)e.Sequence, BinaryPrimitives.ReadInt32LittleEndian(e.Payload.Span)));
        Assert.Empty(await ReadAll(log, 20));
    }

    [Fact]
    public async Task Sliced_payloads_store_exactly_the_slice()
    {
        var buffer = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        await using var log = Open();
        await log.AppendAsync(buffer.AsMemory(10, 5));
        await log.AppendAsync(ReadOnlyMemory<byte>.Empty);

        var entries = await ReadAll(log);
        Assert.Equal(new byte[] { 10, 11, 12, 13, 14 }, entries[0].Payload.ToArray());
        Assert.Equal(0, entries[1].Payload.Length);
    }

    [Fact]
    public async Task SetCheckpoint_deletes_covered_entries_and_survives_reopen()
    {
        await using (var log = Open())
        {
            for (var i = 1; i <= 10; i++)
            {
                await log.AppendAsync(Payload(i));
            }

            await log.SetCheckpointAsync(6);
            Assert.Equal(6, await log.GetCheckpointAsync());
            Assert.Equal(new long[] { 7, 8, 9, 10 }, (await ReadAll(log)).Select(e => e.Sequence));

            // Checkpoints never move backwards.
            await log.SetCheckpointAsync(3);
            Assert.Equal(6, await log.GetCheckpointAsync());
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await log.SetCheckpointAsync(11));
        }

        await using (var reopened = Open())
        {
            Assert.Equal(6, await reopened.GetCheckpointAsync());
            Assert.Equal(10, reopened.LastSequence);
            Assert.Equal(new long[] { 7, 8, 9, 10 }, (await ReadAll(reopened)).Select(e => e.Sequence));
            await reopened.SetCheckpointAsync(10);
            Assert.Empty(await ReadAll(reopened));
        }

        // With every row deleted the sequence must still continue past the checkpoint, not restart at 1.
        await using var again = Open();
        Assert.Equal(10, again.LastSequence);
        Assert.Equal(10, await again.GetCheckpointAsync());
        Assert.Equal(11, await again.AppendAsync(Payload(11)));
    }

    [Fact]
    public async Task LastSequence_is_restored_on_reopen()
    {
        await using (var log = Open(new SqliteIngestLogOptions { SynchronousFull = true }))
        {
            for (var i = 1; i <= 7; i++)
            {
                await log.AppendAsync(Payload(i));
            }
        }

        await using var reopened = Open();
        Assert.Equal(7, reopened.LastSequence);
        Assert.Equal(8, await reopened.AppendAsync(Payload(8)));
    }

    [Fact]
    public async Task Dispose_drains_pending_appends_and_rejects_new_ones()
    {
        var log = Open();
        var pending = Enumerable.Range(1, 500).Select(i => log.AppendAsync(Payload(i)).AsTask()).ToList();
        await log.DisposeAsync();

        var seqs = await Task.WhenAll(pending);
        Assert.Equal(Enumerable.Range(1, 500).Select(i => (long)i), seqs.Order());
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await log.AppendAsync(Payload(0)));

        await using var reopened = Open();
        Assert.Equal(500, (await ReadAll(reopened)).Count);
    }

    [Fact]
    public async Task Canceled_append_is_not_written()
    {
        await using var log = Open();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await log.AppendAsync(Payload(1), cts.Token));
        Assert.Equal(1, await log.AppendAsync(Payload(2)));
    }

    [Fact]
    public async Task Group_commit_keeps_every_concurrent_batch_sized_append()
    {
        // 64 KB ~ a 500-signal batch. Speed is measured in the benchmark suite, not here; this
        // checks that group commit under many writers loses and reorders nothing.
        const int Writers = 64;
        const int PerWriter = 40;
        var payload = Payload(1, 64 * 1024);
        await using var log = Open();
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < PerWriter; i++)
            {
                await log.AppendAsync(payload);
            }
        })));
        stopwatch.Stop();

        var perSecond = Writers * PerWriter / stopwatch.Elapsed.TotalSeconds;
        output.WriteLine($"{Writers * PerWriter} x 64 KB appends in {stopwatch.ElapsedMilliseconds} ms = {perSecond:F0}/s");
        Assert.Equal(Writers * PerWriter, log.LastSequence);
        var seqs = new List<long>();
        await foreach (var e in log.ReadAfterAsync(0))
        {
            seqs.Add(e.Sequence);
            Assert.Equal(payload.Length, e.Payload.Length);
        }
        Assert.Equal(Enumerable.Range(1, Writers * PerWriter).Select(i => (long)i), seqs);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
