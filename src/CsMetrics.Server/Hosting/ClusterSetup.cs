using System.Globalization;
using System.Net;
using CsMetrics.Grains;
using Orleans.Configuration;

namespace CsMetrics.Server.Hosting;

/// <summary>
/// How a node joins its cluster. <c>CSMETRICS_REDIS</c> set: Orleans membership, grain state and
/// the ingest log all in that Redis (any number of nodes, anywhere). Not set: embedded mode,
/// SQLite files under the data folder, one node or several on one machine.
/// </summary>
public static class ClusterSetup
{
    public static void ConfigureSilo(ISiloBuilder silo, CsMetricsOptions options, string dataDir)
    {
        if (!string.IsNullOrWhiteSpace(options.Redis))
        {
            ConfigureRedisCluster(silo, options);
            return;
        }
        if (options.PrimarySiloPort is { } primary && primary != options.SiloPort)
        {
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, new IPEndPoint(IPAddress.Loopback, primary));
        }
        else
        {
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort);
        }
        // Each node keeps its own ingest log; grain state is shared.
        silo.AddCsMetricsEmbedded(dataDir, options.PrimarySiloPort is null ? "ingest-log.db" : $"ingest-log-{options.SiloPort}.db");
    }

    private static void ConfigureRedisCluster(ISiloBuilder silo, CsMetricsOptions options)
    {
        string redis = options.Redis!;
        silo.UseRedisClustering(o => o.ConfigurationOptions = StackExchange.Redis.ConfigurationOptions.Parse(redis));
        if (IsKubernetesPod())
        {
            // Pod name, IP, cluster and service ids from the pod's environment (deploy/k8s).
            silo.UseKubernetesHosting();
        }
        else
        {
            silo.Configure<ClusterOptions>(o =>
            {
                // The service id names the stored state, the cluster id only the membership: a
                // cluster restarted under a new cluster id finds all its state.
                o.ClusterId = options.ClusterId;
                o.ServiceId = "csmetrics";
            });
            var advertised = AdvertisedAddress(options.AdvertisedIp);
            silo.ConfigureEndpoints(advertised, options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: !IPAddress.IsLoopback(advertised));
        }
        if (options.ProbeTimeout is { } probe)
        {
            silo.Configure<ClusterMembershipOptions>(o => o.ProbeTimeout = probe);
        }
        // A log per node *start*: a restarted node never appends to a log another node may be
        // replaying; its previous log is adopted like any dead node's.
        string node = string.IsNullOrWhiteSpace(options.NodeName)
            ? $"{Environment.MachineName}-{options.SiloPort.ToString(CultureInfo.InvariantCulture)}"
            : options.NodeName;
        string logName = $"{node}-{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}";
        silo.AddCsMetricsCluster(redis, logName);
    }

    /// <summary>An IP, or a host name resolved once at start (compose service names); default loopback.</summary>
    private static IPAddress AdvertisedAddress(string? configured)
    {
        if (string.IsNullOrWhiteSpace(configured))
        {
            return IPAddress.Loopback;
        }
        if (IPAddress.TryParse(configured, out var ip))
        {
            return ip;
        }
        return Dns.GetHostAddresses(configured).FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
            ?? throw new InvalidOperationException($"CSMETRICS_ADVERTISED_IP: '{configured}' has no IPv4 address");
    }

    private static bool IsKubernetesPod() =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST"))
        && !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("POD_NAME"));
}
