using System.Net;
using System.Net.Sockets;

namespace CsMetrics.Server.Tests.Support;

/// <summary>
/// Hands out TCP ports that are free right now, for Orleans silo/gateway and HTTP listeners.
/// Ports come from below the Linux ephemeral range (32768+), so an outgoing connection cannot
/// grab one between the check and the server binding it, and a port is never handed out twice
/// in this test process, so factories starting in parallel never collide.
/// </summary>
public static class FreePorts
{
    private const int RangeStart = 20_000;
    private const int RangeEnd = 32_000;
    private static readonly HashSet<int> Handed = [];
    private static readonly object Gate = new();

    public static int Next()
    {
        lock (Gate)
        {
            // Start at a random place so concurrent test processes (several test projects) rarely probe the same ports.
            int start = Random.Shared.Next(RangeStart, RangeEnd);
            for (int i = 0; i < RangeEnd - RangeStart; i++)
            {
                int port = RangeStart + ((start - RangeStart + i) % (RangeEnd - RangeStart));
                if (Handed.Contains(port) || !IsFree(port))
                {
                    continue;
                }
                Handed.Add(port);
                return port;
            }
        }
        throw new InvalidOperationException("No free TCP port found.");
    }

    private static bool IsFree(int port)
    {
        foreach (var address in new[] { IPAddress.Loopback, IPAddress.Any })
        {
            try
            {
                var listener = new TcpListener(address, port);
                listener.Start();
                listener.Stop();
            }
            catch (SocketException)
            {
                return false;
            }
        }
        return true;
    }
}
