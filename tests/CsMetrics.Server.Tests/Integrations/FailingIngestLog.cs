using System.Text;
using CsMetrics.Grains.Ingest;
using Microsoft.Extensions.DependencyInjection;

namespace CsMetrics.Server.Tests.Integrations;

/// <summary>
/// The server's real ingest log, except that appending a batch naming one account fails: an
/// entry that is valid but can never be ingested (a poison entry), for the Redis feed's tests.
/// </summary>
internal sealed class FailingIngestLog(IIngestLog inner, string account, FailingIngestLog.Attempts attempts) : IIngestLog
{
    public const string Message = "injected: this batch cannot be logged";

    public sealed class Attempts
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Add() => Interlocked.Increment(ref _count);
    }

    private readonly byte[] _marker = Encoding.UTF8.GetBytes(account);

    /// <summary>Wraps the registered <see cref="IIngestLog"/>.</summary>
    public static void Install(IServiceCollection services, string account, Attempts attempts)
    {
        var registered = services.Last(d => d.ServiceType == typeof(IIngestLog));
        services.Remove(registered);
        services.AddSingleton<IIngestLog>(sp =>
        {
            var inner = registered.ImplementationFactory is { } factory ? (IIngestLog)factory(sp) : (IIngestLog)registered.ImplementationInstance!;
            return new FailingIngestLog(inner, account, attempts);
        });
    }

    public string Name => inner.Name;

    public long LastSequence => inner.LastSequence;

    public ValueTask<long> AppendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        if (payload.Span.IndexOf(_marker) >= 0)
        {
            attempts.Add();
            throw new InvalidOperationException(Message);
        }
        return inner.AppendAsync(payload, cancellationToken);
    }

    public IAsyncEnumerable<IngestLogEntry> ReadAfterAsync(long afterSeq, CancellationToken cancellationToken = default) => inner.ReadAfterAsync(afterSeq, cancellationToken);

    public ValueTask<long> GetCheckpointAsync(CancellationToken cancellationToken = default) => inner.GetCheckpointAsync(cancellationToken);

    public ValueTask SetCheckpointAsync(long seq, CancellationToken cancellationToken = default) => inner.SetCheckpointAsync(seq, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
