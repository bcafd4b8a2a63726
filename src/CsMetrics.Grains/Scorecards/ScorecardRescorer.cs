using CsMetrics.Contracts.Index;
using CsMetrics.Contracts.Scorecards;
using Microsoft.Extensions.Logging;

namespace CsMetrics.Grains.Scorecards;

/// <summary>
/// After a new scorecard version is activated, re-scores every account in the background, shard
/// by shard in chunks, reporting progress to the scorecard grain. Accounts not reached yet (or
/// if this node dies mid-way) still move to the new version at their next signal or sweep.
/// </summary>
public sealed class ScorecardRescorer(IGrainFactory grains, ILogger<ScorecardRescorer> logger)
{
    public const int ChunkSize = 500;

    public Task RunAsync(int version) => Task.Run(async () =>
    {
        var scorecard = grains.GetGrain<IScorecardGrain>(0);
        try
        {
            var shards = Enumerable.Range(0, AccountIndex.ShardCount).Select(s => grains.GetGrain<IAccountIndexShard>(s)).ToArray();
            int total = (await Task.WhenAll(shards.Select(s => s.Count()))).Sum();
            int done = 0;
            await scorecard.ReportProgress(new RescoreProgress(version, 0, total, total == 0));
            foreach (var shard in shards)
            {
                while (true)
                {
                    var r = await shard.Rescore(version, ChunkSize);
                    done += r.Touched;
                    await scorecard.ReportProgress(new RescoreProgress(version, Math.Min(done, total), Math.Max(total, done), false));
                    if (r.Remaining == 0)
                    {
                        break;
                    }
                }
            }
            await scorecard.ReportProgress(new RescoreProgress(version, done, Math.Max(total, done), true));
            logger.LogInformation("Re-scored {Accounts} accounts with scorecard v{Version}", done, version);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Re-scoring with scorecard v{Version} stopped; accounts catch up at their next signal or sweep", version);
        }
    });
}
