using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace CsMetrics.Server.Live;

/// <summary>This node's open hub connections by API key, so a revoked key's connections close at once.</summary>
public sealed class HubConnections
{
    private readonly ConcurrentDictionary<string, (string KeyId, HubCallerContext Context)> _byConnection = new(StringComparer.Ordinal);

    public void Add(string keyId, HubCallerContext context) => _byConnection[context.ConnectionId] = (keyId, context);

    public void Remove(string connectionId) => _byConnection.TryRemove(connectionId, out _);

    public int CloseAllOf(string keyId)
    {
        int n = 0;
        foreach (var (id, entry) in _byConnection)
        {
            if (entry.KeyId == keyId)
            {
                entry.Context.Abort();
                _byConnection.TryRemove(id, out _);
                n++;
            }
        }
        return n;
    }
}
