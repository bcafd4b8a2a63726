namespace CsMetrics.Grains.Ingest;

/// <summary>
/// The highest log sequence S such that every entry 1..S has been applied to its grains.
/// Requests finish out of order; the watermark only moves over a contiguous prefix, so a
/// checkpoint taken at it never skips an entry that is still on its way to a grain.
/// Relies on the log handing out gapless sequence numbers.
/// </summary>
public sealed class AppliedWatermark
{
    private readonly object _gate = new();
    private readonly SortedSet<long> _doneAhead = [];
    private long _through;

    public long Through
    {
        get
        {
            lock (_gate)
            {
                return _through;
            }
        }
    }

    /// <summary>Starts the count after recovery: everything up to <paramref name="seq"/> is applied.</summary>
    public void Reset(long seq)
    {
        lock (_gate)
        {
            _through = seq;
            _doneAhead.Clear();
        }
    }

    public void Complete(long seq)
    {
        lock (_gate)
        {
            if (seq <= _through)
            {
                return;
            }
            _doneAhead.Add(seq);
            while (_doneAhead.Count > 0 && _doneAhead.Min == _through + 1)
            {
                _through++;
                _doneAhead.Remove(_through);
            }
        }
    }
}
