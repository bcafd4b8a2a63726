using CsMetrics.Scoring.Metrics;

namespace CsMetrics.Scoring.Tests.Metrics;

public class DayTotalsTests
{
    [Theory]
    [InlineData(1, 200)]
    [InlineData(2, 5_000)]
    [InlineData(3, 40_000)]
    public void Keeps_the_same_totals_as_a_map_whatever_order_days_arrive_in(int seed, int adds)
    {
        var random = new Random(seed);
        var totals = new DayTotals();
        var model = new Dictionary<int, long>();
        int today = 20_000;
        for (int i = 0; i < adds; i++)
        {
            // Mostly today or the days just before (live signals), now and then a late one from
            // months ago, and the clock moving on.
            int day = random.Next(10) switch
            {
                0 => today - random.Next(0, 400),
                1 => today - random.Next(0, 3),
                _ => today,
            };
            if (random.Next(50) == 0)
            {
                today += 1;
            }
            long amount = 1 + random.Next(3);
            totals.Add(day, amount);
            model[day] = model.GetValueOrDefault(day) + amount;
        }

        Assert.Equal(model.Count, totals.Count);
        Assert.Equal(model.OrderBy(p => p.Key).Select(p => (p.Key, p.Value)), Pairs(totals));
        foreach (var (day, total) in model)
        {
            Assert.Equal(total, totals[day]);
        }
        Assert.Equal(0, totals[today + 1]);
        Assert.Equal(Pairs(totals), Pairs(RoundTrip(totals)));
    }

    [Fact]
    public void Reads_the_older_layout_of_pairs_in_arrival_order()
    {
        // What the Dictionary wrote: count, then (day, total) in insertion order.
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(4);
            foreach (var (day, total) in new (int, long)[] { (105, 3), (101, 1), (110, 7), (102, 2) })
            {
                w.Write(day);
                w.Write(total);
            }
        }
        ms.Position = 0;
        var read = new DayTotals();
        using (var r = new BinaryReader(ms))
        {
            read.Read(r);
        }
        Assert.Equal([(101, 1L), (102, 2L), (105, 3L), (110, 7L)], Pairs(read));
        read.Add(103, 5);
        read.Add(110, 1);
        Assert.Equal([(101, 1L), (102, 2L), (103, 5L), (105, 3L), (110, 8L)], Pairs(read));
    }

    [Fact]
    public void Nothing_added_writes_and_lists_nothing()
    {
        var empty = new DayTotals();
        Assert.Equal(0, empty.Count);
        Assert.Empty(Pairs(empty));
        Assert.Empty(Pairs(RoundTrip(empty)));
    }

    private static List<(int Day, long Total)> Pairs(DayTotals totals)
    {
        var pairs = new List<(int, long)>();
        foreach (var pair in totals)
        {
            pairs.Add(pair);
        }
        return pairs;
    }

    private static DayTotals RoundTrip(DayTotals totals)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            totals.Write(w);
        }
        ms.Position = 0;
        var read = new DayTotals();
        using var r = new BinaryReader(ms);
        read.Read(r);
        return read;
    }
}
