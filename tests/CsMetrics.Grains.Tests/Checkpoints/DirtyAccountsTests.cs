using CsMetrics.Contracts.Accounts;
using CsMetrics.Contracts.Signals;
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
        Assert.Equal(new[] { "a", "b" }, dirty.Drain().Keys.Order(StringComparer.Ordinal));
        Assert.Equal(0, dirty.Count);
        Assert.Empty(dirty.Drain());
        dirty.Mark("c");
        Assert.Equal(new[] { "c" }, dirty.Drain().Keys);
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
                drained.UnionWith(dirty.Drain().Keys);
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
        drained.UnionWith(dirty.Drain().Keys);
        Assert.Equal(Writers * PerWriter, drained.Count);
    }

    [Fact]
    public void An_account_keeps_the_highest_entry_and_whether_one_activation_applied_them_all()
    {
        var dirty = new DirtyAccounts();
        dirty.Mark("a", 7, activation: 11);
        dirty.Mark("a", 3, activation: 11);
        dirty.Mark("a"); // the grain itself: no log entry, no activation
        dirty.Mark("b", 2, activation: 11);
        dirty.Mark("b", 4, activation: 12);
        dirty.Mark("c");
        var taken = dirty.Drain();

        Assert.Equal(new DirtyMark(7, 11, Mixed: false), taken["a"]);
        Assert.True(taken["a"].IsHeldBy(Live(11)));
        Assert.False(taken["a"].IsHeldBy(Live(99))); // the account came back as another activation: entries lost
        Assert.True(taken["a"].IsHeldBy(Live(99, handedOff: 11))); // ...unless 11 wrote everything when it deactivated

        Assert.Equal(new DirtyMark(4, 11, Mixed: false, Other: 12), taken["b"]);
        Assert.False(taken["b"].IsHeldBy(Live(11)));
        Assert.False(taken["b"].IsHeldBy(Live(12))); // activation 11 ended in between, maybe unwritten
        Assert.True(taken["b"].IsHeldBy(Live(12, handedOff: 11))); // it wrote everything when it deactivated
        Assert.True(taken["b"].IsHeldBy(Live(13, handedOff: [11, 12])));
        Assert.False(taken["b"].IsHeldBy(Live(13, handedOff: 11))); // 12 died unwritten: 13 came from 11's state

        Assert.True(taken["c"].IsHeldBy(Live(42))); // nothing from the log to lose
    }

    [Fact]
    public void A_third_activation_within_one_checkpoint_round_holds_nothing_provably()
    {
        var dirty = new DirtyAccounts();
        dirty.Mark("a", 1, activation: 11);
        dirty.Mark("a", 2, activation: 12);
        dirty.Mark("a", 3, activation: 11);
        Assert.Equal(new DirtyMark(3, 11, Mixed: false, Other: 12), dirty.Drain()["a"]);

        dirty.Mark("a", 4, activation: 11);
        dirty.Mark("a", 5, activation: 12);
        dirty.Mark("a", 6, activation: 13);
        var mark = dirty.Drain()["a"];
        Assert.Equal(new DirtyMark(6, 11, Mixed: true, Other: 12), mark);
        Assert.False(mark.IsHeldBy(Live(13, handedOff: [11, 12]))); // which of them applied what is no longer known
    }

    [Fact]
    public void A_restored_mark_merges_with_marks_made_since()
    {
        var dirty = new DirtyAccounts();
        dirty.Mark("a", 5, activation: 11);
        dirty.Mark("b", 5, activation: 11);
        dirty.Mark("b", 6, activation: 12);
        var failed = dirty.Drain();
        dirty.Mark("a", 9, activation: 13); // applied while the failed checkpoint ran

        dirty.Restore("a", failed["a"]);
        dirty.Restore("b", failed["b"]);
        var taken = dirty.Drain();

        Assert.Equal(new DirtyMark(9, 11, Mixed: false, Other: 13), taken["a"]);
        Assert.Equal(new DirtyMark(6, 11, Mixed: false, Other: 12), taken["b"]);

        // A restored mark with two activations and a new one with a third: more than a mark tracks.
        dirty.Mark("b", 7, activation: 14);
        dirty.Restore("b", taken["b"]);
        Assert.Equal(new DirtyMark(7, 11, Mixed: true, Other: 12), dirty.Drain()["b"]);
    }

    [Fact]
    public void A_log_entry_marks_each_of_its_accounts_with_the_activation_that_applied_it()
    {
        var dirty = new DirtyAccounts();
        dirty.MarkApplied(["a", "b"], [new ApplyResult(2, 0, 11), new ApplyResult(0, 1, 12)], logSequence: 4);
        dirty.MarkApplied(["a"], [new ApplyResult(1, 0, 13)], logSequence: 5);
        var taken = dirty.Drain();

        Assert.Equal(new DirtyMark(5, 11, Mixed: false, Other: 13), taken["a"]);
        Assert.Equal(new DirtyMark(4, 12, Mixed: false), taken["b"]);
    }

    private static StateHolders Live(long activation, params long[] handedOff) => new(activation, handedOff);
}
