using System.Text.Json;

namespace CsMetrics.Scoring.Scorecards;

public sealed record ScorecardError(string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>
/// Reads a scorecard document and validates every part of it, naming each error by its JSON
/// path, so an admin who edits the file or PUTs a new version sees all mistakes at once.
/// </summary>
public static class ScorecardParser
{
    public static readonly string[] RequiredComponents = ["engagement", "adoption", "support", "sentiment", "revenue"];

    public static Scorecard Parse(string json, int version = 1)
    {
        if (!TryParse(json, version, out var card, out var errors))
        {
            throw new ScorecardException(errors);
        }
        return card!;
    }

    public static bool TryParse(string json, int version, out Scorecard? scorecard, out IReadOnlyList<ScorecardError> errors)
    {
        var list = new List<ScorecardError>();
        scorecard = null;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            list.Add(new("$", "not valid JSON: " + ex.Message));
            errors = list;
            return false;
        }

        using (doc)
        {
            try
            {
                scorecard = Read(doc.RootElement, version, list);
            }
            catch (InvalidOperationException)
            {
                // GetString throws on a \u escape of half a surrogate pair ("\uD800"): not text.
                list.Add(new("$", "contains a \\u escape of an unpaired surrogate; not valid text"));
            }
        }
        errors = list;
        if (list.Count > 0)
        {
            scorecard = null;
            return false;
        }
        return true;
    }

    private static Scorecard? Read(JsonElement root, int version, List<ScorecardError> errors)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new("$", "must be an object"));
            return null;
        }

        string name = root.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "Scorecard";

        BandCutoffs bands = new(40, 70);
        if (!root.TryGetProperty("bands", out var b) || b.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new("bands", "required: {\"red\": <cut-off>, \"yellow\": <cut-off>}"));
        }
        else
        {
            double? red = Number(b, "red", "bands.red", errors, required: true);
            double? yellow = Number(b, "yellow", "bands.yellow", errors, required: true);
            if (red is { } r && (r <= 0 || r >= 100))
            {
                errors.Add(new("bands.red", "must be inside 0–100 (exclusive)"));
            }
            if (yellow is { } y && (y <= 0 || y > 100))
            {
                errors.Add(new("bands.yellow", "must be inside 0–100"));
            }
            if (red is { } r2 && yellow is { } y2 && r2 >= y2)
            {
                errors.Add(new("bands", "red cut-off must be below the yellow cut-off"));
            }
            bands = new BandCutoffs(red ?? 40, yellow ?? 70);
        }

        var keyFeatures = new List<string>();
        if (root.TryGetProperty("keyFeatures", out var kf))
        {
            if (kf.ValueKind != JsonValueKind.Array)
            {
                errors.Add(new("keyFeatures", "must be an array of feature names"));
            }
            else
            {
                int i = 0;
                foreach (var f in kf.EnumerateArray())
                {
                    if (f.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(f.GetString()))
                    {
                        errors.Add(new($"keyFeatures[{i}]", "must be a non-empty string"));
                    }
                    else
                    {
                        keyFeatures.Add(f.GetString()!);
                    }
                    i++;
                }
            }
        }

        var components = new List<ComponentDefinition>();
        if (!root.TryGetProperty("components", out var comps) || comps.ValueKind != JsonValueKind.Array)
        {
            errors.Add(new("components", "required: an array of components"));
        }
        else
        {
            int ci = 0;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var c in comps.EnumerateArray())
            {
                var comp = ReadComponent(c, $"components[{ci}]", errors);
                if (comp is not null)
                {
                    if (!seen.Add(comp.Name))
                    {
                        errors.Add(new($"components[{ci}].name", $"duplicate component '{comp.Name}'"));
                    }
                    components.Add(comp);
                }
                ci++;
            }
            foreach (var required in RequiredComponents)
            {
                if (!seen.Contains(required))
                {
                    errors.Add(new("components", $"missing component '{required}'"));
                }
            }
        }

        return new Scorecard { Version = version, Name = name, Bands = bands, Components = components, KeyFeatures = keyFeatures };
    }

    private static ComponentDefinition? ReadComponent(JsonElement c, string path, List<ScorecardError> errors)
    {
        if (c.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(path, "must be an object"));
            return null;
        }
        string? name = c.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
        if (string.IsNullOrWhiteSpace(name))
        {
            errors.Add(new(path + ".name", "required"));
            name = "?";
        }
        double weight = PositiveWeight(c, path, errors);
        var measures = new List<MeasureDefinition>();
        if (!c.TryGetProperty("measures", out var ms) || ms.ValueKind != JsonValueKind.Array || ms.GetArrayLength() == 0)
        {
            errors.Add(new(path + ".measures", "required: a non-empty array"));
        }
        else
        {
            int mi = 0;
            foreach (var m in ms.EnumerateArray())
            {
                var measure = ReadMeasure(m, $"{path}.measures[{mi}]", errors);
                if (measure is not null)
                {
                    measures.Add(measure);
                }
                mi++;
            }
        }
        string? description = c.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
        return new ComponentDefinition { Name = name!, Weight = weight, Measures = measures, Description = description };
    }

    private static MeasureDefinition? ReadMeasure(JsonElement m, string path, List<ScorecardError> errors)
    {
        if (m.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(path, "must be an object"));
            return null;
        }
        Metric metric = default;
        bool metricOk = false;
        if (!m.TryGetProperty("metric", out var mn) || mn.ValueKind != JsonValueKind.String)
        {
            errors.Add(new(path + ".metric", "required"));
        }
        else if (!MetricInfo.ByName.TryGetValue(mn.GetString()!, out metric))
        {
            errors.Add(new(path + ".metric", $"unknown metric '{mn.GetString()}'; known: {string.Join(", ", MetricInfo.ByName.Keys)}"));
        }
        else
        {
            metricOk = true;
        }

        double weight = PositiveWeight(m, path, errors);
        int window = metricOk ? MetricInfo.DefaultWindowDays(metric) : 0;
        if (m.TryGetProperty("windowDays", out var w))
        {
            if (w.ValueKind != JsonValueKind.Number || !w.TryGetInt32(out window) || window < 1 || window > MetricInfo.MaxWindowDays)
            {
                errors.Add(new(path + ".windowDays", $"must be a whole number of days from 1 to {MetricInfo.MaxWindowDays}"));
            }
        }

        MeasureMapping? mapping = null;
        bool hasLinear = m.TryGetProperty("linear", out var lin);
        bool hasSteps = m.TryGetProperty("steps", out var steps);
        if (hasLinear == hasSteps)
        {
            errors.Add(new(path, "needs exactly one of 'linear' {worst, best} or 'steps' [{upTo, score}]"));
        }
        else if (hasLinear)
        {
            if (lin.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new(path + ".linear", "must be an object {\"worst\": x, \"best\": y}"));
            }
            else
            {
                double? worst = Number(lin, "worst", path + ".linear.worst", errors, required: true);
                double? best = Number(lin, "best", path + ".linear.best", errors, required: true);
                if (worst is { } wv && best is { } bv && wv == bv)
                {
                    errors.Add(new(path + ".linear", "worst and best must differ"));
                }
                mapping = new MeasureMapping { Worst = worst ?? 0, Best = best ?? 1 };
            }
        }
        else
        {
            mapping = ReadSteps(m, steps, path, errors);
        }

        string? description = m.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
        return metricOk && mapping is not null
            ? new MeasureDefinition { Metric = metric, Weight = weight, WindowDays = window, Mapping = mapping, Description = description }
            : null;
    }

    private static MeasureMapping? ReadSteps(JsonElement m, JsonElement steps, string path, List<ScorecardError> errors)
    {
        if (steps.ValueKind != JsonValueKind.Array || steps.GetArrayLength() == 0)
        {
            errors.Add(new(path + ".steps", "must be a non-empty array of {\"upTo\", \"score\"}"));
            return null;
        }
        var list = new List<ThresholdStep>();
        int i = 0;
        double? previous = null;
        foreach (var s in steps.EnumerateArray())
        {
            string sp = $"{path}.steps[{i}]";
            if (s.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new(sp, "must be an object"));
                i++;
                continue;
            }
            double? upTo = Number(s, "upTo", sp + ".upTo", errors, required: true);
            double? score = Number(s, "score", sp + ".score", errors, required: true);
            if (score is { } sc && (sc < 0 || sc > 100))
            {
                errors.Add(new(sp + ".score", "must be within 0–100"));
            }
            if (upTo is { } u)
            {
                if (previous is { } p && u <= p)
                {
                    errors.Add(new(sp + ".upTo", "thresholds must be in ascending order"));
                }
                previous = u;
            }
            list.Add(new ThresholdStep(upTo ?? 0, score ?? 0));
            i++;
        }
        double otherwise = Number(m, "otherwise", path + ".otherwise", errors, required: false) ?? 0;
        if (otherwise < 0 || otherwise > 100)
        {
            errors.Add(new(path + ".otherwise", "must be within 0–100"));
        }
        return new MeasureMapping { Steps = list, Otherwise = otherwise };
    }

    /// <summary>
    /// Weights are relative, so nothing needs more; a weight near double.MaxValue would overflow
    /// Σ(score · weight) to Infinity (a NaN score), which then cannot even be written as JSON.
    /// </summary>
    public const double MaxWeight = 1_000_000;

    private static double PositiveWeight(JsonElement e, string path, List<ScorecardError> errors)
    {
        double? w = Number(e, "weight", path + ".weight", errors, required: true);
        if (w is { } v && !(v > 0))
        {
            errors.Add(new(path + ".weight", "must be positive"));
        }
        else if (w > MaxWeight)
        {
            errors.Add(new(path + ".weight", $"must be at most {MaxWeight:0}"));
        }
        return w ?? 1;
    }

    private static double? Number(JsonElement e, string property, string path, List<ScorecardError> errors, bool required)
    {
        if (!e.TryGetProperty(property, out var v))
        {
            if (required)
            {
                errors.Add(new(path, "required"));
            }
            return null;
        }
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double d) || !double.IsFinite(d))
        {
            errors.Add(new(path, "must be a number"));
            return null;
        }
        return d;
    }
}

public sealed class ScorecardException(IReadOnlyList<ScorecardError> errors)
    : Exception("Invalid scorecard: " + string.Join("; ", errors))
{
    public IReadOnlyList<ScorecardError> Errors { get; } = errors;
}
