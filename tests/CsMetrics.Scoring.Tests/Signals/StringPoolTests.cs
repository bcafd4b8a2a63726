using CsMetrics.Scoring.Aggregates;
using CsMetrics.Scoring.Metrics;
using CsMetrics.Scoring.Signals;
using static CsMetrics.Scoring.Tests.Support.Sig;

namespace CsMetrics.Scoring.Tests.Signals;

public class StringPoolTests
{
    [Fact]
    public void Equal_texts_come_back_as_one_copy()
    {
        var pool = new StringPool(maxEntries: 100, maxLength: 16);
        string first = pool.Of(Fresh("reports.view"));
        Assert.Same(first, pool.Of(Fresh("reports.view")));
        Assert.NotSame(first, pool.Of(Fresh("api.call")));
        // Longer texts are not pooled.
        string longer = Fresh("a text longer than sixteen");
        Assert.Same(longer, pool.Of(longer));
    }

    [Fact]
    public void A_full_pool_starts_over_and_still_returns_equal_texts()
    {
        var pool = new StringPool(maxEntries: 3, maxLength: 64);
        string kept = pool.Of(Fresh("kept"));
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal($"word-{i}", pool.Of(Fresh($"word-{i}")));
        }
        // The pool started over (bounded): the old copy is no longer handed out, an equal one is.
        string again = pool.Of(Fresh("kept"));
        Assert.Equal(kept, again);
        Assert.NotSame(kept, again);
    }

    [Fact]
    public void Accounts_share_the_products_feature_names_and_tags_also_after_a_restore()
    {
        // Every signal comes with its own strings (parsed from JSON or decoded from the log):
        // without the pool each account would keep private copies of the same words.
        var a = new AccountAggregates();
        var b = new AccountAggregates();
        a.Apply(Usage(DaysAgo(1), "ann", Fresh("reports.export")), T0);
        b.Apply(Usage(DaysAgo(1), "bob", Fresh("reports.export")), T0);
        a.Apply(TicketEvent(DaysAgo(1), "T-1", TicketStatus.Opened, tags: [Fresh("billing")]), T0);
        b.Apply(TicketEvent(DaysAgo(1), "T-9", TicketStatus.Opened, tags: [Fresh("billing")]), T0);
        a.Apply(SelfService(DaysAgo(1), "ann", Fresh("kb-42"), SelfServiceAction.View), T0);
        b.Apply(SelfService(DaysAgo(1), "bob", Fresh("kb-42"), SelfServiceAction.View), T0);
        var restored = AccountAggregates.FromBytes(b.ToBytes());

        foreach (var other in new[] { b, restored })
        {
            Assert.Same(a.History.Features.Keys.Single(), other.History.Features.Keys.Single());
            Assert.Same(a.History.Tickets["T-1"].Tags![0], other.History.Tickets["T-9"].Tags![0]);
            Assert.Same(a.History.Articles.Keys.Single(), other.History.Articles.Keys.Single());
        }
        // User ids are the account's own: not pooled.
        Assert.NotSame(a.History.Users.Keys.Single(), restored.History.Users.Keys.Single());
    }

    [Fact]
    public void Fact_labels_read_by_a_portfolio_shard_are_pooled()
    {
        // A shard keeps every fact key it was sent (per day): each decoded label would be a copy.
        var facts = new Dictionary<FactKey, decimal> { [new FactKey(FactKind.FeatureActive, 10, 0, Fresh("reports.view"))] = 1 };
        string? first = MetricFacts.Decode(MetricFacts.Encode(facts)).Keys.Single().Label;
        string? second = MetricFacts.Decode(MetricFacts.Encode(facts)).Keys.Single().Label;
        Assert.Equal("reports.view", first);
        Assert.Same(first, second);
    }

    /// <summary>A copy of the text that is not the interned literal (as every parsed signal's strings are).</summary>
    private static string Fresh(string text) => new(text.AsSpan());
}
