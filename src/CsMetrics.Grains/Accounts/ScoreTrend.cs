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
    public static double[] Sparkline(List<DayScore> closes, double? current, int today)
    {
        if (current is not { } now)
        {
            return [];
        }
        var points = new List<double>(8);
        for (int d = today - 7; d < today; d++)
        {
            if (CloseOn(closes, d) is { } v)
            {
                points.Add(v);
            }
        }
        points.Add(now);
        return [.. points];
    }
}
