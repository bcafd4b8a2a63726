using CsMetrics.Scoring.Aggregates;

namespace CsMetrics.Scoring.Tests.Aggregates;

public class SmallMapsTests
{
    [Fact]
    public void Maps_grow_by_less_than_half_and_keep_insertion_order()
    {
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        var plain = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < 200; i++)
        {
            string key = $"k{i * 7919 % 1000}";
            SmallMaps.BeforeAdd(map);
            map[key] = i;
            plain[key] = i;
            // Never more than 1.5x what it holds once past the smallest sizes (doubling reaches 2x).
            Assert.True(map.Capacity <= Math.Max(7, map.Count * 3 / 2 + 8), $"{map.Count} keys in {map.Capacity}");
        }
        Assert.True(map.Capacity < plain.Capacity, $"{map.Capacity} vs {plain.Capacity}");
        Assert.Equal(plain.ToArray(), map.ToArray());
    }

    [Fact]
    public void RefOrAdd_adds_once_and_updates_in_place()
    {
        var map = new Dictionary<int, long>();
        SmallMaps.RefOrAdd(map, 5) += 3;
        SmallMaps.RefOrAdd(map, 5) += 4;
        SmallMaps.RefOrAdd(map, 9)++;
        Assert.Equal([new KeyValuePair<int, long>(5, 7), new KeyValuePair<int, long>(9, 1)], map.ToArray());
    }

    [Fact]
    public void Sets_grow_by_less_than_half()
    {
        var set = new HashSet<ulong>();
        for (ulong i = 0; i < 100; i++)
        {
            SmallMaps.BeforeAdd(set);
            Assert.True(set.Add(i * 0x9E3779B97F4A7C15));
        }
        Assert.Equal(100, set.Count);
        Assert.InRange(set.Capacity, 100, 150);
    }
}
