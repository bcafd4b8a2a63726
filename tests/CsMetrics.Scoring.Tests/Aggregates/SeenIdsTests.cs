using CsMetrics.Scoring.Aggregates;

namespace CsMetrics.Scoring.Tests.Aggregates;

public class SeenIdsTests
{
    private const int Day = 739_320;

    [Fact]
    public void Remembers_ids_for_the_arrival_day_and_seven_more()
    {
        var s = new SeenIds();
        Assert.True(s.TryAdd("a", Day));
        Assert.False(s.TryAdd("a", Day));
        Assert.False(s.TryAdd("a", Day + SeenIds.WindowDays));
        Assert.True(s.TryAdd("a", Day + SeenIds.WindowDays + 1));
    }

    [Fact]
    public void Count_spans_every_remembered_day_and_drops_expired_days()
    {
        var s = new SeenIds();
        for (int d = 0; d < 8; d++)
        {
            Assert.True(s.TryAdd($"id-{d}", Day + d));
        }
        Assert.Equal(8, s.Count);
        Assert.True(s.TryAdd("next", Day + 8)); // day 0 expires, its slot is reused
        Assert.Equal(8, s.Count);
        Assert.False(s.Contains("id-0"));
        Assert.True(s.Contains("id-1"));
    }

    [Fact]
    public void An_arrival_older_than_the_window_is_accepted_without_evicting_newer_ids()
    {
        var s = new SeenIds();
        Assert.True(s.TryAdd("recent", Day));
        Assert.True(s.TryAdd("replayed", Day - 8));     // same ring slot as Day
        Assert.True(s.TryAdd("replayed-2", Day - 30));
        Assert.False(s.TryAdd("recent", Day));
        Assert.Equal(1, s.Count);

        Assert.True(s.TryAdd("inside", Day - 7));       // still inside the window: remembered
        Assert.False(s.TryAdd("inside", Day));
        Assert.False(s.TryAdd("recent", Day - 3));     // a known id is caught whatever the arrival
    }

    [Fact]
    public void Hash_is_stable_and_distinguishes_ids()
    {
        Assert.Equal(SeenIds.Hash("signal-1"), SeenIds.Hash("signal-1"));
        Assert.NotEqual(SeenIds.Hash("signal-1"), SeenIds.Hash("signal-2"));
        Assert.NotEqual(SeenIds.Hash("a"), SeenIds.Hash("A"));
    }

    [Fact]
    public void Many_ids_in_one_day_do_not_collide()
    {
        var s = new SeenIds();
        for (int i = 0; i < 100_000; i++)
        {
            Assert.True(s.TryAdd($"evt-{i:D8}", Day));
        }
        Assert.Equal(100_000, s.Count);
    }
}

/// <summary>
/// The dedup memory against a plain model of its contract (id → arrival day, everything at or
/// before newest − 8 forgotten), over random arrivals with duplicates, clock steps back, quiet
/// weeks and persistence round trips. The table's deletion (backward shift with wrap-around) and
/// resizing are where a bug would hide; the model has neither.
/// </summary>
public class SeenIdsModelTests
{
    private sealed class Model
    {
        private readonly Dictionary<ulong, int> _days = [];
        private int _newest;

        public int Count => _days.Count;

        public bool Contains(ulong id) => _days.ContainsKey(id);

        public bool TryAdd(ulong id, int day)
        {
            if (day > _newest)
            {
                _newest = day;
                foreach (var old in _days.Where(kv => kv.Value <= _newest - 8).Select(kv => kv.Key).ToList())
                {
                    _days.Remove(old);
                }
            }
            if (_days.ContainsKey(id))
            {
                return false;
            }
            if (day > _newest - 8)
            {
                _days[id] = day;
            }
            return true;
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Agrees_with_the_model_over_random_arrivals(int seed)
    {
        var random = new Random(seed);
        var seen = new SeenIds();
        var model = new Model();
        int day = 739_320;
        for (int step = 0; step < 60_000; step++)
        {
            int roll = random.Next(1000);
            if (roll < 3)
            {
                day += random.Next(1, 4);                 // the next day(s)
            }
            else if (roll < 4)
            {
                day += random.Next(8, 20);                // a quiet week or more: everything expires
            }
            if (step % 7_000 == 6_999)
            {
                seen = RoundTrip(seen);
            }
            // Mostly today; sometimes an older arrival (inside or outside the window).
            int arrival = random.Next(20) == 0 ? day - random.Next(0, 12) : day;
            // A small id pool per day range makes re-sends common; some ids recur across weeks.
            ulong id = (ulong)random.Next(0, 3_000) + (random.Next(4) == 0 ? 0UL : (ulong)(day / 3) * 10_000UL);
            Assert.Equal(model.TryAdd(id, arrival), seen.TryAdd(id, arrival));
            if (step % 97 == 0)
            {
                Assert.Equal(model.Count, seen.Count);
                ulong probe = (ulong)random.Next(0, 3_000) + (ulong)(day / 3) * 10_000UL;
                Assert.Equal(model.Contains(probe), seen.Contains(probe));
            }
        }
        Assert.Equal(model.Count, seen.Count);
    }

    [Fact]
    public void A_persisted_memory_keeps_each_id_under_its_day()
    {
        var seen = new SeenIds();
        for (int d = 0; d < 8; d++)
        {
            for (int i = 0; i < 50; i++)
            {
                Assert.True(seen.TryAdd($"d{d}-{i}", 100 + d));
            }
        }
        var loaded = RoundTrip(seen);
        Assert.Equal(400, loaded.Count);
        Assert.False(loaded.TryAdd("d3-7", 107));
        // Day 100's ids leave with the next day, the rest stay.
        Assert.True(loaded.TryAdd("new", 108));
        Assert.Equal(351, loaded.Count);
        Assert.True(loaded.TryAdd("d0-1", 108));
        Assert.False(loaded.TryAdd("d1-1", 108));
    }

    [Fact]
    public void A_quiet_account_gives_its_table_back()
    {
        var seen = new SeenIds();
        for (ulong i = 0; i < 5_000; i++)
        {
            seen.TryAdd(i, 10);
        }
        Assert.True(seen.Capacity >= 5_000);
        seen.TryAdd(99_999UL, 12);
        seen.TryAdd(99_998UL, 19);                          // day 10 leaves the window
        Assert.Equal(2, seen.Count);
        Assert.True(seen.Capacity < 64, $"capacity {seen.Capacity}");
        seen.TryAdd(99_997UL, 40);                          // everything leaves
        Assert.Equal(1, seen.Count);
    }

    [Fact]
    public void WriteTo_writes_the_days_as_the_persisted_format_always_had_them()
    {
        var seen = new SeenIds();
        var random = new Random(7);
        for (int day = 100; day < 110; day++)
        {
            for (int i = 0; i < 50 + day % 3 * 400; i++)
            {
                seen.TryAdd((ulong)random.NextInt64(), day);
            }
        }
        seen.TryAdd(5UL, 109);
        seen.TryAdd(3UL, 108);

        using var expected = new MemoryStream();
        using (var w = new BinaryWriter(expected, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            // The writer AccountAggregates had: a list of the days, each with its sorted ids.
            var days = seen.Days().ToList();
            w.Write(days.Count);
            foreach (var (day, ids) in days)
            {
                w.Write(day);
                w.Write(ids.Length);
                foreach (var h in ids)
                {
                    w.Write(h);
                }
            }
        }
        using var actual = new MemoryStream();
        using (var w = new BinaryWriter(actual, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            seen.WriteTo(w);
        }

        Assert.Equal(expected.ToArray(), actual.ToArray());
        Assert.Equal(8, BitConverter.ToInt32(actual.ToArray(), 0));
    }

    private static SeenIds RoundTrip(SeenIds seen)
    {
        var copy = new SeenIds();
        foreach (var (day, ids) in seen.Days())
        {
            copy.Load(day, ids);
        }
        Assert.Equal(seen.Count, copy.Count);
        return copy;
    }
}
