namespace CsMetrics.Grains.Accounts;

/// <summary>Daily closes of an account's score: 7- and 30-day deltas and the sparkline.</summary>
public static class ScoreTrend
{
    public static void RecordClose(List<DayScore> closes, DayScore close, int retentionDays)
    {
        if (closes.Count > 0 && closes[^1].Day >= close.Day)
        {
            closes[^1] = close with { Day = closes[^1].Day };
            return;
        }
        closes.Add(close);
        int cutoff = close.Day - retentionDays;
        int drop = 0;
        while (drop < closes.Count - 1 && closes[drop].Day < cutoff)
        {
            drop++;
        }
        if (drop > 0)
        {
            closes.RemoveRange(0, drop);
        }
    }

    /// <summary>The score as of the end of <paramref name="day"/>: the latest close on or before it.</summary>
    public static double? CloseOn(List<DayScore> closes, int day)
    {
        for (int i = closes.Count - 1; i >= 0; i--)
        {
            if (closes[i].Day <= day)
            {
                return closes[i].Score;
            }
        }
        return null;
    }

    /// <summary>
    /// Current score minus the score <paramref name="days"/> days ago; for a younger account, minus
    /// its first score (so a new account that fell fast still shows its fall).
    /// </summary>
    public static double? Delta(List<DayScore> closes, double? firstScore, double? current, int today, int days)
    {
        if (current is not { } now)
        {
            return null;
        }
        double? reference = CloseOn(closes, today - days) ?? firstScore;
        return reference is { } r ? Math.Round(now - r, 1) : null;
    }

    /// <summary>The closes of the last 7 days (where known) followed by the current score.</summary>
    public static double[] Sparkline(List<DayScore> closes, double? current, int today) =>
        Sparkline(closes, current, today, reuse: null);

    /// <summary>
    /// The sparkline, or <paramref name="reuse"/> itself when it holds the same points: the
    /// listing is rebuilt on every apply and usually shows the same week, so no new array then
    /// (and the listing's record equality sees the same reference).
    /// </summary>
    public static double[] Sparkline(List<DayScore> closes, double? current, int today, double[]? reuse)
    {
        if (current is not { } now)
        {
            return reuse is [] ? reuse : [];
        }
        Span<double> points = stackalloc double[8];
        int n = 0;
        for (int d = today - 7; d < today; d++)
        {
            if (CloseOn(closes, d) is { } v)
            {
                points[n++] = v;
            }
        }
        points[n++] = now;
        return reuse is not null && points[..n].SequenceEqual(reuse) ? reuse : points[..n].ToArray();
    }
}
