using CsMetrics.Scoring.Metrics;

namespace CsMetrics.Scoring.Tests.Aggregates;

public class ActivityDaysTests
{
    private const int Day = 739_320;

    /// <summary>Random marks against a plain set of (subject, day): same answers, same listing, and a stable stored form.</summary>
    [Theory]
    [InlineData(1, 50)]
    [InlineData(2, 3_000)]
    [InlineData(3, 40_000)]
    public void Marks_match_a_plain_set_and_round_trip(int seed, int marks)
    {
        var random = new Random(seed);
        var days = new ActivityDays();
        var expected = new HashSet<(int, int)>();
        for (int i = 0; i < marks; i++)
        {
            int subject = random.Next(0, 3) == 0 ? random.Next(0, 16_384 * 40) : random.Next(0, 30);
            int day = Day - random.Next(0, 2_000);
            Assert.Equal(expected.Add((subject, day)), days.Mark(subject, day));
        }
        var all = days.All().ToList();
        Assert.Equal(expected.Order().ToList(), all); // grouped by subject, days ascending
        Assert.Equal(expected.Select(e => (e.Item1, e.Item2 >> 5)).Distinct().Count(), days.Count);

        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            days.Write(w);
        }
        byte[] bytes = ms.ToArray();
        ms.Position = 0;
        var read = new ActivityDays();
        using (var r = new BinaryReader(ms))
        {
            read.Read(r);
        }
        Assert.Equal(all, read.All().ToList());
        Assert.Equal(days.Count, read.Count);
        using var again = new MemoryStream();
        using (var w = new BinaryWriter(again))
        {
            read.Write(w);
        }
        Assert.Equal(bytes, again.ToArray());
    }

    [Fact]
    public void Masks_in_any_stored_order_read_the_same()
    {
        // Older versions wrote the masks in insertion order: count, then (key, mask) pairs.
        static byte[] Stored(params (int Subject, int Block, uint Mask)[] masks)
        {
            using var ms = new MemoryStream();
            using (var w = new BinaryWriter(ms))
            {
                w.Write(masks.Length);
                foreach (var (s, b, m) in masks)
                {
                    w.Write(((long)s << 32) | (uint)b);
                    w.Write(m);
                }
            }
            return ms.ToArray();
        }
        var a = Read(Stored((7, 100, 0b101), (2, 101, 1u << 31), (7, 99, 1)));
        var b = Read(Stored((7, 99, 1), (7, 100, 0b101), (2, 101, 1u << 31)));
        (int, int)[] expected = [(2, 101 * 32 + 31), (7, 99 * 32), (7, 100 * 32), (7, 100 * 32 + 2)];
        Assert.Equal(expected, a.All().ToList());
        Assert.Equal(expected, b.All().ToList());
        Assert.False(a.Mark(7, 100 * 32 + 2));
        Assert.True(a.Mark(7, 100 * 32 + 1));
        Assert.Equal(3, a.Count);

        static ActivityDays Read(byte[] bytes)
        {
            var d = new ActivityDays();
            using var r = new BinaryReader(new MemoryStream(bytes));
            d.Read(r);
            return d;
        }
    }

    [Fact]
    public void Nothing_marked_lists_nothing()
    {
        var d = new ActivityDays();
        Assert.Equal(0, d.Count);
        Assert.Empty(d.All().ToList());
    }

    [Fact]
    public void Enumerations_that_overlap_or_stop_early_each_see_every_pair()
    {
        // All() sorts into a pooled array returned when the enumeration ends: nested and
        // abandoned enumerations must not share or lose one.
        var days = new ActivityDays();
        for (int s = 0; s < 50; s++)
        {
            for (int d = 0; d < 40; d += 3)
            {
                days.Mark(s, Day + d);
            }
        }
        var expected = days.All().ToList();
        Assert.Equal(50 * 14, expected.Count);
        Assert.Equal((0, Day), First(days));
        // As many entries as the first (the pool hands out arrays by size): a shared array would show.
        var other = new ActivityDays();
        for (int s = 0; s < days.Count; s++)
        {
            other.Mark(1_000 + s, Day);
        }
        var seen = new List<(int, int)>();
        foreach (var outer in days.All())
        {
            seen.Add(outer);
            // Another table enumerated (and a third one abandoned) in the middle of this one.
            Assert.Equal(days.Count, other.All().ToList().Count);
            _ = First(other);
        }
        Assert.Equal(expected, seen);
        Assert.Equal(expected, days.All().ToList());

        // A walk abandoned after its first pair (the pooled array goes back when the foreach ends).
        static (int, int) First(ActivityDays days)
        {
            foreach (var pair in days.All())
            {
                return pair;
            }
            throw new InvalidOperationException("empty");
        }
    }
}
