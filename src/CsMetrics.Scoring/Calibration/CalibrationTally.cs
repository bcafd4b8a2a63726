namespace CsMetrics.Scoring.Calibration;

/// <summary>How many churned accounts were in each band <see cref="LeadDays"/> days before they churned.</summary>
public sealed record BandsBeforeChurn(int LeadDays, int Red, int Yellow, int Green, int Unknown);

/// <summary>One scorecard component alone as a churn predictor (values at the prediction time).</summary>
public sealed record ComponentSeparation(string Name, double? Auc, int Churned, int Retained);

/// <summary>What the calibration report says; see docs/calibration.md for every definition.</summary>
public sealed record CalibrationSummary(
    int Churned,
    int RetainedCounted,
    double RetainedRepresented,
    BandsBeforeChurn[] BandsBeforeChurn,
    RedPrediction Red,
    double? GreenShare,
    ComponentSeparation[] Components);

/// <summary>
/// Gathers churned and retained accounts one at a time and summarises them: bands before churn,
/// red as a predictor (band at the prediction time), the share of churned accounts that were
/// green, and each component's AUC. Not a hot path (one report per request), so plain lists.
/// </summary>
public sealed class CalibrationTally
{
    /// <summary>The leads reported by default: 30, 60 and 90 days before the churn.</summary>
    public static readonly int[] DefaultLeads = [30, 60, 90];

    private readonly int[] _leads;
    private readonly int[,] _bandCounts; // [lead, red/yellow/green/unknown]
    private readonly Dictionary<string, (List<double> Churned, List<double> Retained)> _components = new(StringComparer.Ordinal);
    private readonly List<string> _componentOrder = [];
    private RedPrediction _red;
    private int _churned, _retainedCounted, _greenBeforeChurn, _knownBeforeChurn;
    private double _retainedRepresented;

    public CalibrationTally(int[]? leads = null)
    {
        _leads = leads ?? DefaultLeads;
        _bandCounts = new int[_leads.Length, 4];
    }

    public IReadOnlyList<int> Leads => _leads;

    /// <summary>
    /// A churned account. <paramref name="bandsBefore"/>: its band at each lead before the churn (same
    /// order as <see cref="Leads"/>, null = not scored yet); <paramref name="bandAtPrediction"/> and
    /// <paramref name="componentsAtPrediction"/>: what it showed at the prediction time.
    /// </summary>
    public void AddChurned(IReadOnlyList<string?> bandsBefore, string? bandAtPrediction, IEnumerable<KeyValuePair<string, double>> componentsAtPrediction)
    {
        if (bandsBefore.Count != _leads.Length)
        {
            throw new ArgumentException($"expected a band for each of {_leads.Length} leads", nameof(bandsBefore));
        }
        _churned++;
        for (int i = 0; i < _leads.Length; i++)
        {
            _bandCounts[i, BandSlot(bandsBefore[i])]++;
        }
        // The "green and churned anyway" share reads the shortest lead: the last look a CSM had.
        if (bandsBefore.Count > 0 && bandsBefore[0] is { } first)
        {
            _knownBeforeChurn++;
            if (first == "green")
            {
                _greenBeforeChurn++;
            }
        }
        if (bandAtPrediction is not null)
        {
            _red = _red.Add(churned: true, red: bandAtPrediction == "red");
        }
        foreach (var (name, value) in componentsAtPrediction)
        {
            Component(name).Churned.Add(value);
        }
    }

    /// <summary>
    /// A retained account as seen at the prediction time. <paramref name="weight"/>: how many retained
    /// accounts it stands for (1 unless the retained accounts were sampled).
    /// </summary>
    public void AddRetained(string? bandAtPrediction, IEnumerable<KeyValuePair<string, double>> componentsAtPrediction, double weight = 1)
    {
        _retainedCounted++;
        _retainedRepresented += weight;
        if (bandAtPrediction is not null)
        {
            _red = _red.Add(churned: false, red: bandAtPrediction == "red", weight);
        }
        foreach (var (name, value) in componentsAtPrediction)
        {
            Component(name).Retained.Add(value);
        }
    }

    public CalibrationSummary Summarize()
    {
        var bands = new BandsBeforeChurn[_leads.Length];
        for (int i = 0; i < _leads.Length; i++)
        {
            bands[i] = new BandsBeforeChurn(_leads[i], _bandCounts[i, 0], _bandCounts[i, 1], _bandCounts[i, 2], _bandCounts[i, 3]);
        }
        var components = new ComponentSeparation[_componentOrder.Count];
        for (int i = 0; i < components.Length; i++)
        {
            var (churned, retained) = _components[_componentOrder[i]];
            var c = churned.ToArray();
            var r = retained.ToArray();
            components[i] = new ComponentSeparation(_componentOrder[i], Auc.Compute(c, r), c.Length, r.Length);
        }
        double? greenShare = _knownBeforeChurn > 0 ? (double)_greenBeforeChurn / _knownBeforeChurn : null;
        return new CalibrationSummary(_churned, _retainedCounted, _retainedRepresented, bands, _red, greenShare, components);
    }

    private (List<double> Churned, List<double> Retained) Component(string name)
    {
        if (!_components.TryGetValue(name, out var lists))
        {
            lists = ([], []);
            _components[name] = lists;
            _componentOrder.Add(name);
        }
        return lists;
    }

    private static int BandSlot(string? band) => band switch
    {
        "red" => 0,
        "yellow" => 1,
        "green" => 2,
        _ => 3,
    };
}
