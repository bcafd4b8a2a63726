namespace CsMetrics.Scoring.Calibration;

/// <summary>
/// How well one measure alone separates churned from retained accounts: the area under the ROC
/// curve, computed as the Mann–Whitney statistic. AUC = P(a retained account scores higher than a
/// churned one) + ½·P(they score the same). 1 = every churned account scored below every retained
/// one, 0.5 = no better than a coin, below 0.5 = the measure points the wrong way.
/// </summary>
public static class Auc
{
    /// <summary>
    /// The AUC, or null when either group is empty (nothing to separate). Sorts both spans in place,
    /// so the caller's buffers are reused and nothing is allocated: O((n + m) log(n + m)).
    /// </summary>
    public static double? Compute(Span<double> churned, Span<double> retained)
    {
        if (churned.IsEmpty || retained.IsEmpty)
        {
            return null;
        }
        churned.Sort();
        retained.Sort();
        // For each churned value c (ascending), below = retained values < c, notAbove = retained ≤ c;
        // both only move forward, so one pass over each group suffices.
        double wins = 0;
        int below = 0, notAbove = 0;
        foreach (double c in churned)
        {
            while (below < retained.Length && retained[below] < c)
            {
                below++;
            }
            if (notAbove < below)
            {
                notAbove = below;
            }
            while (notAbove < retained.Length && retained[notAbove] <= c)
            {
                notAbove++;
            }
            int higher = retained.Length - notAbove;
            int ties = notAbove - below;
            wins += higher + 0.5 * ties;
        }
        return wins / ((double)churned.Length * retained.Length);
    }
}
