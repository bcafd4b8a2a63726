using System.Globalization;
using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Watchlists;
using CsMetrics.Server.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Runtime;
using Orleans.Runtime.Placement;
using Xunit.Abstractions;
using static CsMetrics.Server.Tests.Support.SignalJson;

namespace CsMetrics.Server.Tests.Live;

/// <summary>
/// Two server nodes in this process forming one Orleans cluster (localhost clustering, the
/// second joining the first's silo port) over one data folder: a hub client on one node sees
/// the changes of accounts living on either node.
/// </summary>
public sealed class TwoNodeFixture : IAsyncLifetime
{
    private readonly TempDirectory _dataDir = new("csmetrics-live-cluster");

    /// <summary>The first node (its silo is the cluster's primary).</summary>
    public CsMetricsFactory NodeA { get; private set; } = null!;

    /// <summary>The second node, joined to the first.</summary>
    public CsMetricsFactory NodeB { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        NodeA = new CsMetricsFactory(dataDir: _dataDir.Path);
        await Task.Run(() => NodeA.Server); // starts the host, and with it the first silo
        NodeB = new CsMetricsFactory(dataDir: _dataDir.Path, settings: new Dictionary<string, string?>
        {
            ["CsMetrics:PrimarySiloPort"] = NodeA.SiloPort.ToString(CultureInfo.InvariantCulture),
        });
        await Task.Run(() => NodeB.Server);
        await WaitForClusterAsync(NodeA, NodeB);
    }

    /// <summary>Settled: every node sees every silo active, and every node's hub bridge is registered.</summary>
    public static async Task WaitForClusterAsync(params WebApplicationFactory<Program>[] nodes)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        foreach (var node in nodes)
        {
            var management = Grains(node).GetGrain<IManagementGrain>(0);
            while ((await management.GetHosts(onlyActive: true)).Count != nodes.Length)
            {
                await Task.Delay(100, cts.Token);
            }
        }
        while ((await Grains(nodes[0]).GetGrain<IPushDirectory>(0).GetObservers()).Length != nodes.Length)
        {
            await Task.Delay(100, cts.Token);
        }
    }

    public static IGrainFactory Grains(WebApplicationFactory<Program> node) => node.Services.GetRequiredService<IGrainFactory>();

    public async Task DisposeAsync()
    {
        // The joining node first, the primary last.
        if (NodeB is not null)
        {
            await NodeB.DisposeAsync();
        }
        if (NodeA is not null)
        {
            await NodeA.DisposeAsync();
        }
        _dataDir.Dispose();
    }
}

public sealed class CrossNodeWatchlistTests(TwoNodeFixture cluster, ITestOutputHelper output) : IClassFixture<TwoNodeFixture>
{
    private const string AtRisk = "at-risk";

    private static SiloAddress LocalSilo(WebApplicationFactory<Program> node) => node.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;

    [Fact]
    public async Task A_client_on_one_node_sees_accounts_of_both_nodes_go_red_with_consecutive_versions()
    {
        const int Accounts = 30;
        await using var onB = await LiveClient.ConnectAsync(cluster.NodeB, Keys.Read);
        await using var onA = await LiveClient.ConnectAsync(cluster.NodeA, Keys.Read);
        await onB.SubscribeAsync(AtRisk);
        await onA.SubscribeAsync(AtRisk);

        var ids = Enumerable.Range(0, Accounts).Select(i => NewAccountId($"node{i:D2}")).ToArray();
        // Half of the account grains on each silo. Orleans' default (resource-optimised) placement
        // weighs silo statistics that are published with a delay and nearly equal for two silos
        // in one process, so leaving it to chance could put them all on one; a placement hint
        // on the first call decides.
        var silos = new[] { LocalSilo(cluster.NodeA), LocalSilo(cluster.NodeB) };
        var grains = TwoNodeFixture.Grains(cluster.NodeA);
        await Task.WhenAll(ids.Select(async (id, i) =>
        {
            RequestContext.Set(IPlacementDirector.PlacementHintKey, silos[i % 2]);
            await grains.GetGrain<IAccountGrain>(id).GetView();
        }));
        // Registered through both nodes (the grains are already placed).
        using (var adminA = cluster.NodeA.ClientWithKey(Keys.Admin))
        using (var adminB = cluster.NodeB.ClientWithKey(Keys.Admin))
        {
            await Task.WhenAll(ids.Select((id, i) => (i % 2 == 0 ? adminA : adminB).RegisterAsync(id, name: $"Node test {i}", owner: "csm-cluster")));
        }
        // Every signal goes in through node A.
        using var ingestA = cluster.NodeA.ClientWithKey(Keys.Ingest);
        var signals = ids.SelectMany(id => Health.IntoRed(id)).ToArray();
        var (accepted, duplicates) = await ingestA.IngestAsync(Batch(signals));
        Assert.Equal((signals.Length, 0), (accepted, duplicates));

        bool AllRed(IReadOnlyDictionary<string, System.Text.Json.JsonElement> rows) =>
            ids.All(id => rows.TryGetValue(id, out var e) && e.Score() == 0 && e.Band() == "red");
        var onBMessages = await onB.WaitUntilAsync(AtRisk, AllRed, $"all {Accounts} accounts on node B");
        var onAMessages = await onA.WaitUntilAsync(AtRisk, AllRed, $"all {Accounts} accounts on node A");
        output.WriteLine($"node B: {onBMessages.Count} messages, node A: {onAMessages.Count} messages, versions {onB.Version(AtRisk)} / {onA.Version(AtRisk)}");
        Assert.All(ids, id => Assert.Contains(onBMessages.ChangesOf(id), c => c.GetProperty("op").GetString() == "upsert"));

        // The account grains (where the scores are computed) live on both silos.
        var grainIds = ids.Select(id => grains.GetGrain<IAccountGrain>(id).GetGrainId()).ToHashSet();
        var stats = await grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        var hosts = stats.Where(s => grainIds.Contains(s.GrainId)).GroupBy(s => s.SiloAddress).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine("account grains per silo: " + string.Join(", ", hosts.Select(h => $"{h.Key}: {h.Value}")));
        var watchlistHost = stats.Where(s => s.GrainId == grains.GetGrain<IWatchlistGrain>(AtRisk).GetGrainId()).Select(s => s.SiloAddress).ToList();
        output.WriteLine("at-risk watchlist grain on: " + string.Join(", ", watchlistHost));
        Assert.Equal(Accounts, hosts.Values.Sum());
        Assert.Equal(Accounts / 2, hosts.GetValueOrDefault(silos[0]));
        Assert.Equal(Accounts / 2, hosts.GetValueOrDefault(silos[1]));

        // Leaving works across nodes as well (now through node B); both clients end on the same version and rows.
        using var ingestB = cluster.NodeB.ClientWithKey(Keys.Ingest);
        var leaving = ids.Take(5).ToArray();
        var back = leaving.SelectMany(id => Health.OutOfRed(id)).ToArray();
        Assert.Equal((back.Length, 0), await ingestB.IngestAsync(Batch(back)));
        await onB.WaitUntilAsync(AtRisk, rows => leaving.All(id => !rows.ContainsKey(id)), "five accounts to leave on node B");
        await onA.WaitUntilAsync(AtRisk, rows => leaving.All(id => !rows.ContainsKey(id)), "five accounts to leave on node A");
        Assert.Equal(onA.Version(AtRisk), onB.Version(AtRisk));
        Assert.Equal(onA.Rows(AtRisk).Keys.Order(StringComparer.Ordinal), onB.Rows(AtRisk).Keys.Order(StringComparer.Ordinal));
    }
}

/// <summary>A node that joins a running cluster gets the changes of watchlists that were already live.</summary>
public sealed class LateJoiningNodeTests(ITestOutputHelper output)
{
    private const string AtRisk = "at-risk";

    [Fact]
    public async Task A_client_on_a_node_that_joined_later_receives_changes_of_an_active_watchlist()
    {
        using var dataDir = new TempDirectory("csmetrics-live-latejoin");
        await using var nodeA = new CsMetricsFactory(dataDir: dataDir.Path);
        await Task.Run(() => nodeA.Server);
        await using var onA = await LiveClient.ConnectAsync(nodeA, Keys.Read);
        await onA.SubscribeAsync(AtRisk);

        // The at-risk watchlist is live and has pushed while node A was alone.
        using var ingestA = nodeA.ClientWithKey(Keys.Ingest);
        string first = NewAccountId("late-a");
        await ingestA.IngestAsync(Batch(Health.IntoRed(first)));
        await onA.WaitUntilAsync(AtRisk, rows => rows.ContainsKey(first), "the first account on node A");

        // Node B joins.
        await using var nodeB = new CsMetricsFactory(dataDir: dataDir.Path, settings: new Dictionary<string, string?>
        {
            ["CsMetrics:PrimarySiloPort"] = nodeA.SiloPort.ToString(CultureInfo.InvariantCulture),
        });
        await Task.Run(() => nodeB.Server);
        await TwoNodeFixture.WaitForClusterAsync(nodeA, nodeB);
        await using var onB = await LiveClient.ConnectAsync(nodeB, Keys.Read);
        var snapshot = await onB.SubscribeAsync(AtRisk);
        Assert.Contains(first, onB.Rows(AtRisk).Keys);

        // The next change reaches the new node's client, in sequence.
        var started = DateTimeOffset.UtcNow;
        string second = NewAccountId("late-b");
        await ingestA.IngestAsync(Batch(Health.IntoRed(second)));
        await onA.WaitUntilAsync(AtRisk, rows => rows.ContainsKey(second), "the second account on node A");
        await onB.WaitUntilAsync(AtRisk, rows => rows.ContainsKey(second), "the second account on node B");
        output.WriteLine($"node B received the change after {(DateTimeOffset.UtcNow - started).TotalMilliseconds:F0} ms");
        Assert.Equal(onA.Version(AtRisk), onB.Version(AtRisk));

        // Dispose in order: clients, the joining node, then the primary.
        await onB.DisposeAsync();
        await onA.DisposeAsync();
        await nodeB.DisposeAsync();
    }
}
