using CsMetrics.Grains.Checkpoints;

namespace CsMetrics.Grains.Tests.Checkpoints;

public sealed class DirtyAccountsTests
{
    [Fact]
    public void Drain_takes_each_marked_id_once_and_leaves_an_empty_set()
    {
        var dirty = new DirtyAccounts();
        dirty.Mark("a");
        dirty.Mark("b");
        dirty.Mark("a");
        Assert.Equal(2, dirty.Count);
        Assert.Equal(new[] { "a", "b" }, dirty.Drain().Order(StringComparer.Ordinal));
        Assert.Equal(0, dirty.Count);
        Assert.Empty(dirty.Drain());
        dirty.Mark("c");
        Assert.Equal(new[] { "c" }, dirty.Drain());
    }

    [Fact]
    public async Task No_mark_is_lost_while_drains_run_concurrently()
    {
        // A mark that races a drain must end up in that drain or in a later one: a lost mark is
        // an account the checkpoint never writes although the log is truncated past its signals.
        const int Writers = 3, PerWriter = 200_000;
        var dirty = new DirtyAccounts();
        var drained = new HashSet<string>(StringComparer.Ordinal);
        using var stop = new CancellationTokenSource();
        var drainer = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                drained.UnionWith(dirty.Drain());
            }
        });
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
        {
            for (int i = 0; i < PerWriter; i++)
            {
                dirty.Mark($"{w}-{i}");
            }
        })));
        await stop.CancelAsync();
        await drainer;
        drained.UnionWith(dirty.Drain());
        Assert.Equal(Writers * PerWriter, drained.Count);
    }
}
