using CsMetrics.Grains.Accounts;
using CsMetrics.Scoring.Metrics;

namespace CsMetrics.Grains.Tests.Accounts;

public sealed class FactBaselinePoolTests
{
    private static Dictionary<FactKey, decimal> Filled(int facts)
    {
        var map = new Dictionary<FactKey, decimal>();
        for (int i = 0; i < facts; i++)
        {
            map[new FactKey(FactKind.Account, i)] = i;
        }
        return map;
    }

    [Fact]
    public void A_returned_map_is_rented_again_empty()
    {
        var pool = new FactBaselinePool();
        var map = Filled(10);
        pool.Return(map);

        var rented = pool.Rent(8);

        Assert.Same(map, rented);
        Assert.Empty(rented);
        Assert.Equal(0, pool.Pooled);
        Assert.NotSame(map, pool.Rent(8)); // the pool is empty again: a new map
    }

    [Fact]
    public void Big_maps_and_maps_beyond_the_bound_are_left_to_the_collector()
    {
        var pool = new FactBaselinePool(maxPooled: 2, maxFacts: 5);
        pool.Return(Filled(6));
        Assert.Equal(0, pool.Pooled);
        var kept = new[] { Filled(5), Filled(1) };
        pool.Return(kept[0]);
        pool.Return(kept[1]);
        pool.Return(Filled(1));
        Assert.Equal(2, pool.Pooled);
        Assert.Same(kept[1], pool.Rent(0));
        Assert.Same(kept[0], pool.Rent(0));
    }

    [Fact]
    public void Many_maps_at_once_grow_the_pool_up_to_its_bound()
    {
        var pool = new FactBaselinePool(maxPooled: 1_000);
        var maps = Enumerable.Range(0, 1_500).Select(_ => pool.Rent(4)).ToList();
        foreach (var map in maps)
        {
            map[new FactKey(FactKind.Account, 0)] = 1;
            pool.Return(map);
        }
        Assert.Equal(1_000, pool.Pooled);
        var again = Enumerable.Range(0, 1_000).Select(_ => pool.Rent(4)).ToList();
        Assert.All(again, m => Assert.Empty(m));
        Assert.Equal(1_000, again.Distinct().Count());
    }
}
