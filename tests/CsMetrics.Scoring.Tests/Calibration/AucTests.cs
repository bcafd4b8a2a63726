using CsMetrics.Scoring.Calibration;

namespace CsMetrics.Scoring.Tests.Calibration;

public class AucTests
{
    [Fact]
    public void Perfect_separation_is_one_and_the_inverse_is_zero()
    {
        // Every churned value is below every retained value: 2·2 wins out of 2·2 pairs.
        Assert.Equal(1.0, Auc.Compute([10, 20], [30, 40]));
        Assert.Equal(0.0, Auc.Compute([30, 40], [10, 20]));
    }

    [Fact]
    public void Ties_count_half()
    {
        // Pairs (churned, retained): (50,50) tie ½, (50,70) win 1, (60,50) loss 0, (60,70) win 1 → 2.5 / 4.
        Assert.Equal(0.625, Auc.Compute([60, 50], [70, 50]));
        // All equal: every pair a tie → 0.5, a measure that says nothing.
        Assert.Equal(0.5, Auc.Compute([40, 40, 40], [40, 40]));
    }

    [Fact]
    public void Worked_example_with_repeated_values_on_both_sides()
    {
        // churned 20, 40, 40; retained 40, 40, 60, 80.
        //   c=20: 4 higher → 4
        //   c=40: 2 higher (60, 80), 2 ties → 2 + 1 = 3, twice → 6
        // (4 + 6) / (3·4) = 10/12.
        Assert.Equal(10.0 / 12, Auc.Compute([40, 20, 40], [80, 40, 60, 40])!.Value, 12);
    }

    [Fact]
    public void No_churned_or_no_retained_accounts_give_no_value()
    {
        Assert.Null(Auc.Compute([], [1, 2]));
        Assert.Null(Auc.Compute([1, 2], []));
        Assert.Null(Auc.Compute([], []));
    }

    [Fact]
    public void Agrees_with_counting_every_pair_on_random_data()
    {
        var random = new Random(7);
        for (int round = 0; round < 50; round++)
        {
            var churned = Enumerable.Range(0, random.Next(1, 30)).Select(_ => (double)random.Next(0, 10) * 10).ToArray();
            var retained = Enumerable.Range(0, random.Next(1, 30)).Select(_ => (double)random.Next(0, 10) * 10).ToArray();
            double pairs = 0;
            foreach (var c in churned)
            {
                foreach (var r in retained)
                {
                    pairs += r > c ? 1 : r == c ? 0.5 : 0;
                }
            }
            double expected = pairs / (churned.Length * retained.Length);
            Assert.Equal(expected, Auc.Compute(churned.ToArray(), retained.ToArray())!.Value, 12);
        }
    }
}
