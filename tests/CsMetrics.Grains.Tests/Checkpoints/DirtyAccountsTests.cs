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

        Assert.Equal((7L, "11", false), Shape(taken["a"]));
        Assert.True(taken["a"].IsHeldBy(Live(11)));
        Assert.False(taken["a"].IsHeldBy(Live(99))); // the account came back as another activation: entries lost
        Assert.True(taken["a"].IsHeldBy(Live(99, handedOff: 11))); // ...unless 11 wrote everything when it deactivated

        Assert.Equal((4L, "11 12", false), Shape(taken["b"]));
        Assert.False(taken["b"].IsHeldBy(Live(11)));
        Assert.False(taken["b"].IsHeldBy(Live(12))); // activation 11 ended in between, maybe unwritten
        Assert.True(taken["b"].IsHeldBy(Live(12, handedOff: 11))); // it wrote everything when it deactivated
        Assert.True(taken["b"].IsHeldBy(Live(13, handedOff: [11, 12])));
        Assert.False(taken["b"].IsHeldBy(Live(13, handedOff: 11))); // 12 died unwritten: 13 came from 11's state

        Assert.True(taken["c"].IsHeldBy(Live(42))); // nothing from the log to lose
    }

    [Fact]
    public void A_mark_names_each_activation_once_and_past_what_a_state_remembers_holds_nothing_provably()
    {
        var dirty = new DirtyAccounts();
        dirty.Mark("a", 1, activation: 11);
        dirty.Mark("a", 2, activation: 12);
        dirty.Mark("a", 3, activation: 11);
        dirty.Mark("a", 4, activation: 13);
        var mark = dirty.Drain()["a"];
        Assert.Equal((4L, "11 12 13", false), Shape(mark));
        Assert.True(mark.IsHeldBy(Live(13, handedOff: [11, 12])));
        Assert.False(mark.IsHeldBy(Live(13, handedOff: [12]))); // 11 ended without writing

        int tracked = DirtyMark.TrackedActivations;
        for (int activation = 1; activation <= tracked; activation++)
        {
            dirty.Mark("b", activation, activation);
        }
        var full = dirty.Drain()["b"];
        Assert.False(full.Mixed);
        Assert.True(full.IsHeldBy(Live(tracked, handedOff: [.. Enumerable.Range(1, tracked - 1).Select(a => (long)a)])));

        for (int activation = 1; activation <= tracked + 1; activation++)
        {
            dirty.Mark("b", activation, activation);
        }
        var tooMany = dirty.Drain()["b"];
        Assert.True(tooMany.Mixed);
        Assert.Empty(tooMany.Others ?? []);
        var all = Enumerable.Range(1, tracked + 1).Select(a => (long)a).ToArray();
        Assert.False(tooMany.IsHeldBy(Live(99, handedOff: all))); // which of them applied what is no longer known
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

        Assert.Equal((9L, "11 13", false), Shape(taken["a"]));
        Assert.Equal((6L, "11 12", false), Shape(taken["b"]));

        // Restoring never changes the drained mark it merges (a retry may restore it again).
        dirty.Mark("b", 7, activation: 14);
        dirty.Restore("b", taken["b"]);
        Assert.Equal((7L, "11 12 14", false), Shape(dirty.Drain()["b"]));
        Assert.Equal((6L, "11 12", false), Shape(taken["b"]));

        // A mixed mark stays mixed.
        dirty.Mark("c", 1, activation: 20);
        var mixed = new DirtyMark(3, 11, Mixed: true);
        dirty.Restore("c", mixed);
        Assert.True(dirty.Drain()["c"].Mixed);
    }

    [Fact]
    public void A_log_entry_marks_each_of_its_accounts_with_the_activation_that_applied_it()
    {
        var dirty = new DirtyAccounts();
        dirty.MarkApplied(["a", "b"], [new ApplyResult(2, 0, 11), new ApplyResult(0, 1, 12)], logSequence: 4);
        dirty.MarkApplied(["a"], [new ApplyResult(1, 0, 13)], logSequence: 5);
        var taken = dirty.Drain();

        Assert.Equal((5L, "11 13", false), Shape(taken["a"]));
        Assert.Equal((4L, "12", false), Shape(taken["b"]));
    }

    [Fact]
    public void A_hand_off_answers_for_its_account_until_it_activates_again_or_two_rounds_have_passed()
    {
        var dirty = new DirtyAccounts();
        dirty.Mark("a", 3, activation: 11);
        dirty.HandedOff("a", [9, 11]);
        dirty.HandedOff("b", [21]);
        dirty.Activated("b"); // b is back: whatever it does next, only it can say it wrote it
        Assert.False(dirty.TryGetHandOff("b", out _));

        var marks = dirty.Drain();
        Assert.True(dirty.TryGetHandOff("a", out var holders)); // the round that drained a's mark
        Assert.True(marks["a"].IsHeldBy(new StateHolders(0, holders)));

        dirty.HandedOff("c", [31]); // shed while that round was writing
        Assert.True(dirty.TryGetHandOff("c", out _));
        dirty.Drain();
        Assert.True(dirty.TryGetHandOff("c", out _)); // still good for the next round
        Assert.False(dirty.TryGetHandOff("a", out _)); // two rounds on: gone, so the map stays small
        dirty.Drain();
        Assert.False(dirty.TryGetHandOff("c", out _));
    }

    [Fact]
    public void An_apply_is_checked_out_once_a_round_that_must_hold_its_mark_has()
    {
        var dirty = new DirtyAccounts();
        long atApply = dirty.Rounds; // the apply's mark lands in the next round or, racing its drain, the one after
        dirty.Drain(out long first);
        dirty.RoundCheckedOut(first);
        Assert.False(dirty.IsCheckedOut(atApply));
        dirty.Drain(out long second);
        Assert.False(dirty.IsCheckedOut(atApply)); // drained, not yet checked out
        dirty.RoundCheckedOut(second);
        Assert.True(dirty.IsCheckedOut(atApply));
        dirty.RoundCheckedOut(first); // a late report never moves it back
        Assert.Equal(second, dirty.CheckedOut);
    }

    private static (long Sequence, string Activations, bool Mixed) Shape(DirtyMark mark) =>
        (mark.Sequence, string.Join(' ', mark.Activations), mark.Mixed);

    private static StateHolders Live(long activation, params long[] handedOff) => new(activation, handedOff);
}
