using CsMetrics.Scoring.Calibration;

namespace CsMetrics.Scoring.Tests.Calibration;

public class DatedBandsTests
{
    private sealed record Close(int Day, string? Band) : IDatedBand;

    // Green from day 100, yellow from day 130, red from day 160.
    private static readonly Close[] Days = [new(100, "green"), new(130, "yellow"), new(160, "red")];

    [Fact]
    public void The_band_before_a_churn_is_the_one_in_force_at_the_end_of_that_day()
    {
        // Churn on day 190: 30 days before = day 160 (red that day), 60 = day 130 (yellow), 90 = day 100 (green).
        Assert.Equal("red", DatedBands.BandBefore(Days, 190, 30));
        Assert.Equal("yellow", DatedBands.BandBefore(Days, 190, 60));
        Assert.Equal("green", DatedBands.BandBefore(Days, 190, 90));
        // Churn on day 189: 30 before = day 159, still yellow (red came a day later).
        Assert.Equal("yellow", DatedBands.BandBefore(Days, 189, 30));
    }

    [Fact]
    public void Before_the_first_record_nothing_was_known()
    {
        Assert.Null(DatedBands.BandBefore(Days, 189, 90)); // day 99
        Assert.Equal(-1, DatedBands.LatestOnOrBefore(Days, 99));
        Assert.Equal(-1, DatedBands.LatestOnOrBefore(Array.Empty<Close>(), 500));
        Assert.Equal(2, DatedBands.LatestOnOrBefore(Days, 10_000));
        Assert.Equal(0, DatedBands.LatestOnOrBefore(Days, 100));
    }
}
