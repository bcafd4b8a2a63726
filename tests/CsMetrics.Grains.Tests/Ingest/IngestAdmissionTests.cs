using CsMetrics.Grains.Ingest;
using Microsoft.Extensions.Logging.Abstractions;

namespace CsMetrics.Grains.Tests.Ingest;

/// <summary>
/// IngestAdmission refuses new signals while memory use is above its limit and takes them again
/// once it is well back under; the reading of memory is cached for a short while (it is not free).
/// </summary>
public sealed class IngestAdmissionTests
{
    private double _usage;
    private int _reads;

    private IngestAdmission Admission(double limit, TimeSpan? lookEvery = null) =>
        new(limit, () => { _reads++; return _usage; }, NullLogger.Instance) { LookEvery = lookEvery ?? TimeSpan.Zero };

    [Fact]
    public void Above_the_limit_batches_are_refused_with_a_retry_after_and_counted_and_below_it_they_pass_again()
    {
        var admission = Admission(limit: 90);
        _usage = 89.9;
        admission.ThrowIfRefusing(500);
        Assert.False(admission.IsRefusing);

        _usage = 93.5;
        var refused = Assert.Throws<IngestRefusedException>(() => admission.ThrowIfRefusing(500));
        Assert.Equal(IngestAdmission.RetryAfter, refused.RetryAfter);
        Assert.Contains("93.5 %", refused.Message, StringComparison.Ordinal);
        Assert.Contains("nothing was stored", refused.Message, StringComparison.Ordinal);
        Assert.Throws<IngestRefusedException>(() => admission.ThrowIfRefusing(20));
        Assert.Equal(520, admission.RefusedSignals);

        _usage = 87; // under the limit, not yet 5 points under: still refusing
        Assert.Throws<IngestRefusedException>(() => admission.ThrowIfRefusing(1));
        Assert.Equal(521, admission.RefusedSignals);

        _usage = 84.9;
        admission.ThrowIfRefusing(500);
        Assert.False(admission.IsRefusing);
        Assert.Equal(521, admission.RefusedSignals);
        _usage = 89; // and starting again takes going over the limit
        Assert.False(admission.IsRefusing);
    }

    [Fact]
    public void A_reading_is_trusted_for_a_while_then_read_again()
    {
        var admission = Admission(limit: 90, lookEvery: TimeSpan.FromMilliseconds(300));
        _usage = 95;
        Assert.True(admission.IsRefusing);
        _usage = 10;
        for (int i = 0; i < 100; i++)
        {
            Assert.True(admission.IsRefusing); // within the look interval: the last reading stands
        }
        Assert.Equal(1, _reads);
        Thread.Sleep(400);
        Assert.False(admission.IsRefusing);
        Assert.Equal(2, _reads);
    }

    [Fact]
    public void Zero_turns_it_off_without_reading_memory()
    {
        var admission = Admission(limit: 0);
        _usage = 100;
        admission.ThrowIfRefusing(500);
        Assert.False(admission.IsRefusing);
        Assert.Equal(0, _reads);
    }
}
