using CsMetrics.Scoring.Aggregates;
using CsMetrics.Scoring.Scorecards;
using CsMetrics.Scoring.Signals;
using CsMetrics.Scoring.Tests.Support;
using static CsMetrics.Scoring.Tests.Support.Sig;

namespace CsMetrics.Scoring.Tests.Aggregates;

public class LastDaysTests
{
    [Fact]
    public void Writes_the_entries_with_a_day_as_a_map_of_them_was_written()
    {
        var table = new Dictionary<string, int>(StringComparer.Ordinal) { ["carol"] = 2, ["alice"] = 0, ["dave"] = 3, ["bob"] = 1 };
        var days = new LastDays();
        days.TryAdvance(3, 40, out _);
        days.TryAdvance(0, 12, out _);
        days.TryAdvance(2, 7, out _); // bob (1) has no day: a user known only from elsewhere

        // The format before: a map of name → day in the table's order, written by BinaryMaps.
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (name, index) in table)
        {
            if (days[index] != LastDays.Never)
            {
                map[name] = days[index];
            }
        }
        Assert.Equal(Written(w => BinaryMaps.Write(w, map)), Written(w => days.Write(w, table)));
        Assert.Equal(Written(w => BinaryMaps.Write(w, new Dictionary<string, int>())), Written(w => new LastDays().Write(w, table)));
    }

    private static byte[] Written(Action<BinaryWriter> write)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            write(w);
        }
        return stream.ToArray();
    }

    [Fact]
    public void Days_only_move_forward_and_unknown_indexes_read_never()
    {
        var days = new LastDays();
        Assert.Equal(LastDays.Never, days[0]);
        Assert.Equal(LastDays.Never, days[-1]);

        Assert.True(days.TryAdvance(5, 100, out int previous));
        Assert.Equal(LastDays.Never, previous);
        Assert.Equal(1, days.Count);
        Assert.Equal(LastDays.Never, days[4]);          // slots below a new index stay empty
        Assert.False(days.TryAdvance(5, 99, out previous));
        Assert.Equal(100, previous);
        Assert.True(days.TryAdvance(5, 101, out previous));
        Assert.Equal(100, previous);
        Assert.Equal(101, days[5]);
        Assert.Equal(1, days.Count);

        for (int i = 0; i < 1_000; i++)
        {
            days.TryAdvance(i, 7, out _);
        }
        Assert.Equal(1_000, days.Count);
        Assert.Equal(101, days[5]);
    }

    [Fact]
    public void Round_trips_by_name_through_a_table()
    {
        var table = new Dictionary<string, int>(StringComparer.Ordinal) { ["ann"] = 0, ["bob"] = 1, ["cy"] = 2 };
        var days = new LastDays();
        days.TryAdvance(0, 10, out _);
        days.TryAdvance(2, 12, out _);
        // Written by name, read back as the persisted map it is.
        using var reader = new BinaryReader(new MemoryStream(Written(w => days.Write(w, table))));
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        BinaryMaps.Read(reader, map);
        Assert.Equal(new Dictionary<string, int> { ["ann"] = 10, ["cy"] = 12 }, map);

        var other = new Dictionary<string, int>(StringComparer.Ordinal) { ["cy"] = 0 };
        var loaded = new LastDays();
        loaded.Load(map, name => other.TryGetValue(name, out int i) ? i : other[name] = other.Count);
        Assert.Equal(12, loaded[other["cy"]]);
        Assert.Equal(10, loaded[other["ann"]]);
        Assert.Equal(2, loaded.Count);
    }

    [Fact]
    public void A_user_known_only_from_self_service_is_not_an_active_product_user_until_they_use_it()
    {
        var a = new AccountAggregates().With(SelfService(DaysAgo(2), "dana", "kb-1", SelfServiceAction.View));
        Assert.Equal(0, a.TrackedUsers);
        a.AssertNoValue(Metric.ActiveUsersPerSeat, windowDays: 7, seats: 4); // no usage at all yet

        a.With(Usage(DaysAgo(1), "dana", "reports.export"), Usage(DaysAgo(1), "eve"));
        Assert.Equal(2, a.TrackedUsers);
        a.AssertValue(Metric.ActiveUsersPerSeat, 0.5, windowDays: 7, seats: 4);

        var restored = AccountAggregates.FromBytes(a.ToBytes());
        Assert.Equal(2, restored.TrackedUsers);
        restored.AssertValue(Metric.ActiveUsersPerSeat, 0.5, windowDays: 7, seats: 4);
        restored.AssertValue(Metric.KeyFeaturesUsed, 1, windowDays: 7, keyFeatures: ["reports.export", "api.call"]);
        Assert.Equal(a.ToBytes(), restored.ToBytes());
    }
}
