namespace CsMetrics.Scoring.Aggregates;

public sealed partial class AccountAggregates
{
    /// <summary>
    /// When the account churned: each point of the MRR timeline (event time, so imported or
    /// out-of-order history counts where it happened) at which MRR became 0 after being above 0.
    /// Oldest first; bounded by the timeline's cap.
    /// </summary>
    public DateTimeOffset[] ChurnTimes()
    {
        int count = 0;
        for (int i = 1; i < Mrr.Count; i++)
        {
            if (Mrr[i].Mrr == 0 && Mrr[i - 1].Mrr > 0)
            {
                count++;
            }
        }
        if (count == 0)
        {
            return [];
        }
        var times = new DateTimeOffset[count];
        int n = 0;
        for (int i = 1; i < Mrr.Count; i++)
        {
            if (Mrr[i].Mrr == 0 && Mrr[i - 1].Mrr > 0)
            {
                times[n++] = new DateTimeOffset(Mrr[i].Ticks, TimeSpan.Zero);
            }
        }
        return times;
    }

    /// <summary>Whether the MRR in force at <paramref name="at"/> was above 0.</summary>
    public bool PayingAt(DateTimeOffset at) => MrrAt(at.UtcTicks) is > 0;
}
