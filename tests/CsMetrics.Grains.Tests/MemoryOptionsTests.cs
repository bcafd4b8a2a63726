using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace CsMetrics.Grains.Tests;

public sealed class MemoryOptionsTests
{
    [Fact]
    public void By_default_accounts_are_shed_from_80_to_70_percent_and_idle_ones_go_after_fifteen_minutes()
    {
        var collection = new GrainCollectionOptions();
        new MemoryOptions().ApplyTo(collection);
        Assert.True(collection.EnableActivationSheddingOnMemoryPressure);
        Assert.Equal((80, 70), (collection.MemoryUsageLimitPercentage, collection.MemoryUsageTargetPercentage));
        Assert.Equal(TimeSpan.FromSeconds(5), collection.MemoryUsagePollingPeriod);
        Assert.Equal(TimeSpan.FromMinutes(15), collection.CollectionAge);
        Assert.Equal(TimeSpan.FromMinutes(3), collection.DeactivationTimeout); // Orleans' 30 s gave up on shed accounts' writes
        Assert.Equal(90, new MemoryOptions().RefuseIngestLimit);
    }

    [Fact]
    public void Zero_turns_shedding_off()
    {
        var collection = new GrainCollectionOptions();
        new MemoryOptions { ShedAbovePercent = 0 }.ApplyTo(collection);
        Assert.False(collection.EnableActivationSheddingOnMemoryPressure);
    }

    [Theory]
    [InlineData(80, 0, 70)]      // ten points below by default
    [InlineData(6, 0, 3)]        // ...but never below half
    [InlineData(90, 60, 60)]
    public void A_limit_turns_shedding_on_down_to_its_target(double above, double to, double expectedTarget)
    {
        var collection = new GrainCollectionOptions();
        new MemoryOptions { ShedAbovePercent = above, ShedToPercent = to, CheckInterval = TimeSpan.FromSeconds(2), IdleAfter = TimeSpan.FromMinutes(30) }.ApplyTo(collection);
        Assert.True(collection.EnableActivationSheddingOnMemoryPressure);
        Assert.Equal(above, collection.MemoryUsageLimitPercentage);
        Assert.Equal(expectedTarget, collection.MemoryUsageTargetPercentage);
        Assert.Equal(TimeSpan.FromSeconds(2), collection.MemoryUsagePollingPeriod);
        Assert.Equal(TimeSpan.FromMinutes(30), collection.CollectionAge);
    }

    [Theory]
    [InlineData(101, 0)]
    [InlineData(50, 50)]
    [InlineData(50, 70)]
    public void Limits_Orleans_would_refuse_are_refused_naming_our_settings(double above, double to)
    {
        var error = Assert.Throws<OptionsValidationException>(() =>
            new MemoryOptions { ShedAbovePercent = above, ShedToPercent = to }.ApplyTo(new GrainCollectionOptions()));
        Assert.Contains("CsMetrics:Memory", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(80, 80)]   // refusing must start above shedding: shedding gets the first go
    [InlineData(80, 70)]
    [InlineData(80, 101)]
    [InlineData(0, -1)]
    public void An_ingest_limit_not_above_shedding_or_out_of_range_is_refused(double shedAbove, double refuseAbove)
    {
        var error = Assert.Throws<OptionsValidationException>(() =>
            new MemoryOptions { ShedAbovePercent = shedAbove, RefuseIngestAbovePercent = refuseAbove }.ApplyTo(new GrainCollectionOptions()));
        Assert.Contains("RefuseIngestAbovePercent", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(80, 90)]
    [InlineData(90, 95)]   // halfway to 100: raising the shedding limit alone never makes the settings invalid
    [InlineData(0, 90)]
    [InlineData(0.02, 50.01)]
    public void Unset_the_ingest_limit_lies_halfway_between_shedding_and_100(double shedAbove, double expected) =>
        Assert.Equal(expected, new MemoryOptions { ShedAbovePercent = shedAbove }.RefuseIngestLimit, precision: 6);

    [Theory]
    [InlineData(80, 0)]    // off
    [InlineData(0, 50)]    // without shedding, any limit
    [InlineData(80, 100)]
    public void An_ingest_limit_above_shedding_or_off_is_taken(double shedAbove, double refuseAbove)
    {
        var collection = new GrainCollectionOptions();
        new MemoryOptions { ShedAbovePercent = shedAbove, RefuseIngestAbovePercent = refuseAbove }.ApplyTo(collection);
        Assert.Equal(shedAbove > 0, collection.EnableActivationSheddingOnMemoryPressure);
    }
}
