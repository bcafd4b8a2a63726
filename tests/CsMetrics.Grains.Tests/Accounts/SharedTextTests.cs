using CsMetrics.Contracts.Accounts;
using CsMetrics.Grains.Accounts;
using CsMetrics.Grains.Tests.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace CsMetrics.Grains.Tests.Accounts;

/// <remarks>
/// In the cluster collection with the tests below: the pool is process-wide, and the test that
/// fills it must not start it over between another test's two lookups.
/// </remarks>
[Collection(ClusterCollection.Name)]
public sealed class SharedTextTests
{
    [Fact]
    public void Equal_texts_come_back_as_one_instance()
    {
        string a = SharedText.Of(new string("usage of reports.export".AsSpan()));
        string b = SharedText.Of(new string("usage of reports.export".AsSpan()));
        Assert.Equal("usage of reports.export", a);
        Assert.Same(a, b);
        Assert.Null(SharedText.OfNullable(null));
    }

    [Fact]
    public void Long_texts_are_kept_as_they_are()
    {
        string text = new('x', SharedText.MaxLength + 1);
        Assert.Same(text, SharedText.Of(text));
        Assert.NotSame(SharedText.Of(new string(text.AsSpan())), SharedText.Of(new string(text.AsSpan())));
    }

    [Fact]
    public void The_pool_starts_over_when_full_and_texts_stay_correct()
    {
        // Texts that never repeat (ids in them) fill the pool; it starts over instead of growing.
        string prefix = "ticket " + Guid.NewGuid().ToString("N") + " ";
        for (int i = 0; i < SharedText.MaxEntries * 2 + 10; i++)
        {
            Assert.Equal(prefix + i, SharedText.Of(prefix + i));
        }
        string fresh = SharedText.Of(new string("NPS answer 9".AsSpan()));
        Assert.Same(fresh, SharedText.Of(new string("NPS answer 9".AsSpan())));
    }
}

/// <summary>What a checkpoint keeps of an account's latest signals and explained changes, and what a restored account makes of it.</summary>
[Collection(ClusterCollection.Name)]
public sealed class SharedStateSerializationTests(ClusterFixture fixture)
{
    private static void AssertSameChange(ScoreChange expected, ScoreChange actual)
    {
        Assert.Equal(expected with { Components = [] }, actual with { Components = [] });
        Assert.Equal(expected.Components, actual.Components);
    }

    /// <summary>
    /// Checkpoints written before the changes were kept as structs hold them as ScoreChange
    /// objects (field 2): an account restored from one shows the same changes, and writes only
    /// the new field.
    /// </summary>
    [Fact]
    public void A_checkpoint_of_the_older_layout_keeps_its_explained_changes()
    {
        var at = new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
        var steady = new ComponentChange("support", 80, 80);
        var changes = Enumerable.Range(0, AccountGrain.RecentChangesKept + 3)
            .Select(i => new ScoreChange(
                i % 3 == 0 ? null : $"s{i}", i % 3 == 0 ? "reevaluation" : "usage", i == 0 ? null : 50 + i * 0.1, 50 + i * 0.1 + 0.1, i == 0 ? null : "yellow", "yellow",
                [new ComponentChange("engagement", i == 0 ? null : 45.5, 50), steady, new ComponentChange("revenue", 70, null)], at.AddMinutes(-i), $"reason {i}"))
            .ToArray();
        var serializer = fixture.Silo(0).GetRequiredService<IGrainStorageSerializer>();
        var restored = serializer.Deserialize<AccountGrainState>(serializer.Serialize(new AccountGrainState { LegacyRecentChanges = changes }))!;

        restored.UpgradeLayout();

        Assert.Null(restored.LegacyRecentChanges);
        Assert.Equal(AccountGrain.RecentChangesKept, restored.RecentChanges.Length);
        for (int i = 0; i < restored.RecentChanges.Length; i++)
        {
            AssertSameChange(changes[i], restored.RecentChanges[i].ToScoreChange());
        }
        var rewritten = serializer.Deserialize<AccountGrainState>(serializer.Serialize(restored))!;
        Assert.Null(rewritten.LegacyRecentChanges);
        for (int i = 0; i < restored.RecentChanges.Length; i++)
        {
            AssertSameChange(changes[i], rewritten.RecentChanges[i].ToScoreChange());
        }
    }

    [Fact]
    public void A_restored_state_shares_its_texts_again()
    {
        var at = new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
        var state = new AccountGrainState
        {
            RecentChanges = [RecordedChange.Of(new ScoreChange("s1", new string("usage".AsSpan()), 58, 60, new string("yellow".AsSpan()), "green",
                [new ComponentChange(new string("engagement".AsSpan()), 45, 50)], at, new string("usage of audit.view: engagement 45 → 50".AsSpan())))],
            Components = [new ComponentView(new string("engagement".AsSpan()), 50, 0.3, true)],
            Band = new string("green".AsSpan()),
            LatestSignals = [RecentSignal.Of(new SignalSummary("s1", "usage", at, at, new string("usage of audit.view".AsSpan())))],
        };
        var serializer = fixture.Silo(0).GetRequiredService<IGrainStorageSerializer>();
        var restored = serializer.Deserialize<AccountGrainState>(serializer.Serialize(state))!;
        restored.ShareTexts();

        Assert.Same(SharedText.Of("usage of audit.view"), restored.LatestSignals[0].Summary);
        Assert.Same(SharedText.Of("usage of audit.view: engagement 45 → 50"), restored.RecentChanges[0].Reason);
        Assert.Same(SharedText.Of("usage"), restored.RecentChanges[0].SignalType);
        Assert.Same(SharedText.Of("yellow"), restored.RecentChanges[0].BandBefore);
        Assert.Same(SharedText.Of("green"), restored.RecentChanges[0].BandAfter);
        Assert.Same(SharedText.Of("engagement"), restored.RecentChanges[0].Components[0].Name);
        Assert.Same(SharedText.Of("engagement"), restored.Components[0].Name);
        Assert.Same(SharedText.Of("green"), restored.Band);
        Assert.Equal(new ComponentView("engagement", 50, 0.3, true), restored.Components[0]);
        Assert.Equal(state.LatestSignals[0], restored.LatestSignals[0]);
        Assert.Equal("s1", restored.RecentChanges[0].SignalId);
    }

    /// <summary>
    /// Checkpoints written before the signals were kept as structs hold them as summaries (field
    /// 15): an account restored from one shows the same signals, and writes only the new field.
    /// </summary>
    [Fact]
    public void A_checkpoint_of_the_older_layout_keeps_its_latest_signals()
    {
        var sent = new DateTimeOffset(2026, 11, 26, 14, 30, 5, TimeSpan.FromHours(2));
        var applied = new DateTimeOffset(2026, 11, 26, 12, 30, 6, TimeSpan.Zero);
        var summaries = Enumerable.Range(0, AccountGrain.RecentSignalsKept + 2)
            .Select(i => new SignalSummary($"s{i}", i % 2 == 0 ? "usage" : "ticket", sent.AddSeconds(i), applied.AddSeconds(i), $"summary {i}"))
            .ToList();
        var serializer = fixture.Silo(0).GetRequiredService<IGrainStorageSerializer>();
        var restored = serializer.Deserialize<AccountGrainState>(serializer.Serialize(new AccountGrainState { LegacyRecentSignals = summaries }))!;

        restored.UpgradeLayout();

        Assert.Null(restored.LegacyRecentSignals);
        Assert.Equal(summaries.TakeLast(AccountGrain.RecentSignalsKept), restored.LatestSignals.Select(s => s.ToSummary()));
        Assert.Equal(TimeSpan.FromHours(2), restored.LatestSignals[0].ToSummary().Timestamp.Offset);
        var rewritten = serializer.Deserialize<AccountGrainState>(serializer.Serialize(restored))!;
        Assert.Null(rewritten.LegacyRecentSignals);
        Assert.Equal(restored.LatestSignals, rewritten.LatestSignals);
    }
}
