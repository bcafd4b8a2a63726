using CsMetrics.Scoring.Aggregates;
using CsMetrics.Scoring.Scorecards;

namespace CsMetrics.Scoring.Health;

/// <summary>One component's result: its 0–100 score, its configured weight, and whether it counted.</summary>
public struct ComponentScore
{
    public double Score;
    public double Weight;
    /// <summary>False when the account never had data for it, or no measure had a value.</summary>
    public bool Included;
}

/// <summary>The overall score; <see cref="HasScore"/> is false until some component has data.</summary>
public readonly record struct HealthScore(bool HasScore, double Score, HealthBand Band)
{
    public static readonly HealthScore None = new(false, 0, HealthBand.Red);
}

/// <summary>
/// The scorecard math: measure → component → overall. Pure and allocation-free; results go
/// into a caller-owned span with one slot per scorecard component, in scorecard order.
/// </summary>
public static class HealthScorer
{
    public static HealthScore Evaluate(Scorecard card, AccountAggregates aggregates, int seats, DateTimeOffset now, Span<ComponentScore> components)
    {
        if (components.Length < card.Components.Count)
        {
            throw new ArgumentException("One slot per scorecard component is needed.", nameof(components));
        }

        double weighted = 0, totalWeight = 0;
        for (int c = 0; c < card.Components.Count; c++)
        {
            var def = card.Components[c];
            ref ComponentScore result = ref components[c];
            result.Weight = def.Weight;
            result.Included = TryScoreComponent(def, card.KeyFeatures, aggregates, seats, now, out result.Score);
            if (result.Included)
            {
                weighted += result.Score * def.Weight;
                totalWeight += def.Weight;
            }
            else
            {
                result.Score = 0;
            }
        }

        if (totalWeight == 0)
        {
            return HealthScore.None;
        }
        // Weights of left-out components are re-normalised over the included ones.
        double score = Round(weighted / totalWeight);
        return new HealthScore(true, score, card.Bands.BandOf(score));
    }

    /// <summary>A component's score: the weighted mean of its measures that have a value.</summary>
    public static bool TryScoreComponent(ComponentDefinition def, IReadOnlyList<string> keyFeatures, AccountAggregates aggregates, int seats, DateTimeOffset now, out double score)
    {
        double weighted = 0, totalWeight = 0;
        for (int m = 0; m < def.Measures.Count; m++)
        {
            var measure = def.Measures[m];
            if (!aggregates.HasData(MetricInfo.SourceOf(measure.Metric)))
            {
                continue;
            }
            if (aggregates.TryGetMetric(measure.Metric, measure.WindowDays, seats, keyFeatures, now, out double raw))
            {
                weighted += measure.Mapping.Map(raw) * measure.Weight;
                totalWeight += measure.Weight;
            }
        }
        if (totalWeight == 0)
        {
            score = 0;
            return false;
        }
        score = Round(weighted / totalWeight);
        return true;
    }

    /// <summary>Scores are kept to one decimal: finer changes are noise to a CSM and would flood watchlists.</summary>
    public static double Round(double v) => Math.Round(v, 1, MidpointRounding.AwayFromZero);
}
