using System.Text.Json.Nodes;
using CsMetrics.Scoring.Scorecards;

namespace CsMetrics.Scoring.Tests.Scorecards;

public class ScorecardParserTests
{
    internal const string Valid = """
    {
      // comments and trailing commas are allowed
      "name": "Test card",
      "bands": { "red": 40, "yellow": 70 },
      "keyFeatures": ["a", "b"],
      "components": [
        { "name": "engagement", "weight": 30, "description": "use", "measures": [
          { "metric": "days_since_last_usage", "weight": 1,
            "steps": [ { "upTo": 2, "score": 100 }, { "upTo": 7, "score": 60 } ], "otherwise": 5 },
          { "metric": "usage_trend", "weight": 2, "linear": { "worst": 0.25, "best": 1 }, "description": "trend" },
        ] },
        { "name": "adoption", "weight": 20, "measures": [
          { "metric": "key_features_used", "windowDays": 14, "weight": 1, "linear": { "worst": 0, "best": 4 } } ] },
        { "name": "support", "weight": 20, "measures": [
          { "metric": "open_tickets_weighted", "weight": 1, "linear": { "worst": 8, "best": 0 } } ] },
        { "name": "sentiment", "weight": 15, "measures": [
          { "metric": "nps", "weight": 1, "linear": { "worst": -50, "best": 50 } } ] },
        { "name": "revenue", "weight": 15, "measures": [
          { "metric": "mrr_change_pct", "weight": 1, "linear": { "worst": -30, "best": 10 } } ] },
      ],
    }
    """;

    private static JsonObject Doc() =>
        JsonNode.Parse(Valid, documentOptions: new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true })!.AsObject();

    private static JsonObject Component(JsonObject doc, int i) => doc["components"]![i]!.AsObject();

    private static JsonObject Measure(JsonObject doc, int component, int measure) => Component(doc, component)["measures"]![measure]!.AsObject();

    private static IReadOnlyList<ScorecardError> Errors(string json)
    {
        Assert.False(ScorecardParser.TryParse(json, 1, out var card, out var errors));
        Assert.Null(card);
        Assert.NotEmpty(errors);
        return errors;
    }

    private static IReadOnlyList<ScorecardError> Errors(Action<JsonObject> mutate)
    {
        var doc = Doc();
        mutate(doc);
        return Errors(doc.ToJsonString());
    }

    private static void AssertError(IReadOnlyList<ScorecardError> errors, string path, string? messagePart = null)
    {
        Assert.True(
            errors.Any(e => e.Path == path && (messagePart is null || e.Message.Contains(messagePart, StringComparison.Ordinal))),
            $"expected an error at '{path}'{(messagePart is null ? "" : $" containing '{messagePart}'")}, got: {string.Join(" | ", errors)}");
    }

    // ---- valid documents -----------------------------------------------------------------

    [Fact]
    public void A_valid_document_parses_into_the_model()
    {
        Assert.True(ScorecardParser.TryParse(Valid, 7, out var card, out var errors));
        Assert.Empty(errors);
        Assert.NotNull(card);
        Assert.Equal(7, card!.Version);
        Assert.Equal("Test card", card.Name);
        Assert.Equal(new BandCutoffs(40, 70), card.Bands);
        Assert.Equal(new[] { "a", "b" }, card.KeyFeatures);
        Assert.Equal(ScorecardParser.RequiredComponents, card.Components.Select(c => c.Name));
        Assert.Equal("use", card.Components[0].Description);

        var steps = card.Components[0].Measures[0];
        Assert.Equal(Metric.DaysSinceLastUsage, steps.Metric);
        Assert.False(steps.Mapping.IsLinear);
        Assert.Equal(new[] { new ThresholdStep(2, 100), new ThresholdStep(7, 60) }, steps.Mapping.Steps!);
        Assert.Equal(5, steps.Mapping.Otherwise);

        var linear = card.Components[0].Measures[1];
        Assert.Equal(Metric.UsageTrend, linear.Metric);
        Assert.Equal(2, linear.Weight);
        Assert.True(linear.Mapping.IsLinear);
        Assert.Equal((0.25, 1.0), (linear.Mapping.Worst!.Value, linear.Mapping.Best!.Value));
        Assert.Equal("trend", linear.Description);
        Assert.Equal(MetricInfo.DefaultWindowDays(Metric.UsageTrend), linear.WindowDays);

        Assert.Equal(14, card.Components[1].Measures[0].WindowDays); // explicit window wins
        Assert.Equal(0, card.Components[2].Measures[0].WindowDays);  // point-in-time metric
    }

    [Fact]
    public void Parse_returns_the_card_and_uses_version_1_by_default()
    {
        var card = ScorecardParser.Parse(Valid);
        Assert.Equal(1, card.Version);
        var v2 = card.WithVersion(2);
        Assert.Equal(2, v2.Version);
        Assert.Same(card.Components, v2.Components);
        Assert.Same(card.Bands, v2.Bands);
        Assert.Equal(card.Name, v2.Name);
        Assert.Same(card.KeyFeatures, v2.KeyFeatures);
    }

    [Fact]
    public void Name_and_key_features_are_optional()
    {
        var doc = Doc();
        doc.Remove("name");
        doc.Remove("keyFeatures");
        var card = ScorecardParser.Parse(doc.ToJsonString());
        Assert.Equal("Scorecard", card.Name);
        Assert.Empty(card.KeyFeatures);
    }

    [Fact]
    public void Otherwise_defaults_to_zero()
    {
        var doc = Doc();
        Measure(doc, 0, 0).Remove("otherwise");
        var card = ScorecardParser.Parse(doc.ToJsonString());
        Assert.Equal(0, card.Components[0].Measures[0].Mapping.Otherwise);
    }

    [Fact]
    public void Extra_components_are_allowed()
    {
        var doc = Doc();
        doc["components"]!.AsArray().Add(JsonNode.Parse("""{ "name": "custom", "weight": 5, "measures": [ { "metric": "ces_mean", "weight": 1, "linear": { "worst": 2, "best": 6 } } ] }"""));
        var card = ScorecardParser.Parse(doc.ToJsonString());
        Assert.Equal(6, card.Components.Count);
        Assert.Equal(90, card.Components[5].Measures[0].WindowDays);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(120)]
    public void Window_limits_are_inclusive(int days)
    {
        var doc = Doc();
        Measure(doc, 1, 0)["windowDays"] = days;
        Assert.Equal(days, ScorecardParser.Parse(doc.ToJsonString()).Components[1].Measures[0].WindowDays);
    }

    // ---- errors, each named by its path --------------------------------------------------

    [Theory]
    [InlineData("{ not json")]
    [InlineData("")]
    [InlineData("{\"a\": 1} trailing")]
    public void Invalid_json_is_reported_at_the_root(string json)
    {
        AssertError(Errors(json), "$", "not valid JSON");
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("42")]
    [InlineData("\"card\"")]
    public void The_root_must_be_an_object(string json)
    {
        AssertError(Errors(json), "$", "must be an object");
    }

    [Fact]
    public void Unknown_metric()
    {
        var errors = Errors(d => Measure(d, 0, 1)["metric"] = "usage_trends");
        AssertError(errors, "components[0].measures[1].metric", "unknown metric 'usage_trends'");
        Assert.Single(errors);
    }

    [Fact]
    public void Missing_metric()
    {
        AssertError(Errors(d => Measure(d, 3, 0).Remove("metric")), "components[3].measures[0].metric", "required");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Non_positive_component_weight(double weight)
    {
        AssertError(Errors(d => Component(d, 1)["weight"] = weight), "components[1].weight", "must be positive");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-0.5)]
    public void Non_positive_measure_weight(double weight)
    {
        AssertError(Errors(d => Measure(d, 0, 1)["weight"] = weight), "components[0].measures[1].weight", "must be positive");
    }

    [Fact]
    public void Missing_or_non_numeric_weight()
    {
        AssertError(Errors(d => Component(d, 2).Remove("weight")), "components[2].weight", "required");
        AssertError(Errors(d => Measure(d, 2, 0)["weight"] = "heavy"), "components[2].measures[0].weight", "must be a number");
    }

    [Fact]
    public void Unordered_steps()
    {
        var errors = Errors(d => Measure(d, 0, 0)["steps"] = JsonNode.Parse("""[ { "upTo": 7, "score": 60 }, { "upTo": 2, "score": 100 } ]"""));
        AssertError(errors, "components[0].measures[0].steps[1].upTo", "ascending");
    }

    [Fact]
    public void Equal_step_thresholds_are_unordered_too()
    {
        var errors = Errors(d => Measure(d, 0, 0)["steps"] = JsonNode.Parse("""[ { "upTo": 2, "score": 100 }, { "upTo": 2, "score": 50 } ]"""));
        AssertError(errors, "components[0].measures[0].steps[1].upTo", "ascending");
    }

    [Fact]
    public void Step_scores_and_otherwise_must_be_0_to_100()
    {
        var errors = Errors(d =>
        {
            d["components"]![0]!["measures"]![0]!["steps"] = JsonNode.Parse("""[ { "upTo": 2, "score": 101 }, { "upTo": 7, "score": -1 } ]""");
            d["components"]![0]!["measures"]![0]!["otherwise"] = 150;
        });
        AssertError(errors, "components[0].measures[0].steps[0].score", "0–100");
        AssertError(errors, "components[0].measures[0].steps[1].score", "0–100");
        AssertError(errors, "components[0].measures[0].otherwise", "0–100");
    }

    [Fact]
    public void Steps_must_be_a_non_empty_array_of_objects_with_upTo_and_score()
    {
        AssertError(Errors(d => Measure(d, 0, 0)["steps"] = new JsonArray()), "components[0].measures[0].steps", "non-empty");
        AssertError(Errors(d => Measure(d, 0, 0)["steps"] = JsonNode.Parse("[ 3 ]")), "components[0].measures[0].steps[0]", "must be an object");
        var missing = Errors(d => Measure(d, 0, 0)["steps"] = JsonNode.Parse("""[ { "score": 3 }, { "upTo": 4 } ]"""));
        AssertError(missing, "components[0].measures[0].steps[0].upTo", "required");
        AssertError(missing, "components[0].measures[0].steps[1].score", "required");
    }

    [Fact]
    public void A_measure_needs_exactly_one_mapping()
    {
        AssertError(Errors(d => Measure(d, 0, 1).Remove("linear")), "components[0].measures[1]", "exactly one");
        AssertError(Errors(d => Measure(d, 0, 1)["steps"] = JsonNode.Parse("""[ { "upTo": 1, "score": 1 } ]""")), "components[0].measures[1]", "exactly one");
    }

    [Fact]
    public void Linear_mapping_errors()
    {
        AssertError(Errors(d => Measure(d, 0, 1)["linear"] = JsonNode.Parse("""{ "worst": 1, "best": 1 }""")), "components[0].measures[1].linear", "differ");
        AssertError(Errors(d => Measure(d, 0, 1)["linear"] = JsonNode.Parse("""{ "worst": 1 }""")), "components[0].measures[1].linear.best", "required");
        AssertError(Errors(d => Measure(d, 0, 1)["linear"] = JsonNode.Parse("""{ "worst": "low", "best": 1 }""")), "components[0].measures[1].linear.worst", "must be a number");
        AssertError(Errors(d => Measure(d, 0, 1)["linear"] = new JsonArray()), "components[0].measures[1].linear", "must be an object");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("121")]
    [InlineData("-7")]
    [InlineData("7.5")]
    [InlineData("\"7\"")]
    public void Window_days_must_be_a_whole_number_from_1_to_120(string value)
    {
        AssertError(Errors(d => Measure(d, 1, 0)["windowDays"] = JsonNode.Parse(value)), "components[1].measures[0].windowDays", "1 to 120");
    }

    [Theory]
    [InlineData(0, 70, "bands.red")]
    [InlineData(-5, 70, "bands.red")]
    [InlineData(100, 70, "bands.red")]
    [InlineData(40, 0, "bands.yellow")]
    [InlineData(40, 101, "bands.yellow")]
    [InlineData(70, 40, "bands")]
    [InlineData(50, 50, "bands")]
    public void Bands_must_be_inside_0_100_and_red_below_yellow(double red, double yellow, string path)
    {
        AssertError(Errors(d => d["bands"] = new JsonObject { ["red"] = red, ["yellow"] = yellow }), path);
    }

    [Fact]
    public void Yellow_may_be_100()
    {
        var doc = Doc();
        doc["bands"] = new JsonObject { ["red"] = 50, ["yellow"] = 100 };
        Assert.Equal(new BandCutoffs(50, 100), ScorecardParser.Parse(doc.ToJsonString()).Bands);
    }

    [Fact]
    public void Bands_are_required_with_both_cut_offs()
    {
        AssertError(Errors(d => d.Remove("bands")), "bands", "required");
        AssertError(Errors(d => d["bands"] = "40/70"), "bands", "required");
        AssertError(Errors(d => d["bands"] = new JsonObject { ["red"] = 40 }), "bands.yellow", "required");
    }

    [Theory]
    [InlineData("engagement")]
    [InlineData("adoption")]
    [InlineData("support")]
    [InlineData("sentiment")]
    [InlineData("revenue")]
    public void Every_required_component_must_be_present(string name)
    {
        var errors = Errors(d =>
        {
            var comps = d["components"]!.AsArray();
            comps.Remove(comps.First(c => (string?)c!["name"] == name));
        });
        AssertError(errors, "components", $"missing component '{name}'");
        Assert.Single(errors);
    }

    [Fact]
    public void Components_are_required()
    {
        var errors = Errors(d => d.Remove("components"));
        AssertError(errors, "components", "required");
        AssertError(Errors(d => d["components"] = new JsonObject()), "components", "required");
    }

    [Fact]
    public void Duplicate_components_are_named()
    {
        var errors = Errors(d => d["components"]!.AsArray().Add(JsonNode.Parse("""{ "name": "support", "weight": 1, "measures": [ { "metric": "reopen_rate", "weight": 1, "linear": { "worst": 0.5, "best": 0 } } ] }""")));
        AssertError(errors, "components[5].name", "duplicate component 'support'");
    }

    [Fact]
    public void Component_shape_errors()
    {
        AssertError(Errors(d => d["components"]!.AsArray().Add(42)), "components[5]", "must be an object");
        AssertError(Errors(d => Component(d, 0).Remove("name")), "components[0].name", "required");
        AssertError(Errors(d => Component(d, 0)["name"] = "  "), "components[0].name", "required");
        AssertError(Errors(d => Component(d, 4)["measures"] = new JsonArray()), "components[4].measures", "non-empty");
        AssertError(Errors(d => Component(d, 4).Remove("measures")), "components[4].measures", "non-empty");
        AssertError(Errors(d => Component(d, 4)["measures"]!.AsArray().Add("nps")), "components[4].measures[1]", "must be an object");
    }

    [Fact]
    public void Key_features_must_be_non_empty_strings()
    {
        AssertError(Errors(d => d["keyFeatures"] = "reports"), "keyFeatures", "array");
        var errors = Errors(d => d["keyFeatures"] = JsonNode.Parse("""[ "ok", "", 3 ]"""));
        AssertError(errors, "keyFeatures[1]");
        AssertError(errors, "keyFeatures[2]");
    }

    [Fact]
    public void All_errors_are_reported_at_once()
    {
        var errors = Errors(d =>
        {
            d["bands"] = new JsonObject { ["red"] = 80, ["yellow"] = 60 };
            Component(d, 1)["weight"] = 0;
            Measure(d, 0, 1)["metric"] = "bogus";
            Measure(d, 0, 0)["steps"] = JsonNode.Parse("""[ { "upTo": 9, "score": 1 }, { "upTo": 3, "score": 2 } ]""");
            d["components"]!.AsArray().RemoveAt(4);
        });
        AssertError(errors, "bands");
        AssertError(errors, "components[1].weight");
        AssertError(errors, "components[0].measures[1].metric");
        AssertError(errors, "components[0].measures[0].steps[1].upTo");
        AssertError(errors, "components", "missing component 'revenue'");
        Assert.Equal(5, errors.Count);
    }

    [Fact]
    public void Parse_throws_with_every_error_and_its_path_in_the_message()
    {
        var doc = Doc();
        Component(doc, 1)["weight"] = -3;
        Measure(doc, 2, 0)["metric"] = "tickets";
        var ex = Assert.Throws<ScorecardException>(() => ScorecardParser.Parse(doc.ToJsonString()));
        Assert.Equal(2, ex.Errors.Count);
        Assert.Contains("components[1].weight: must be positive", ex.Message, StringComparison.Ordinal);
        Assert.Contains("components[2].measures[0].metric: unknown metric 'tickets'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Error_to_string_is_path_colon_message()
    {
        Assert.Equal("bands.red: required", new ScorecardError("bands.red", "required").ToString());
    }
}
