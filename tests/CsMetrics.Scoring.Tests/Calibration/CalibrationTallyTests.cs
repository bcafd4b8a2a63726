using CsMetrics.Scoring.Calibration;

namespace CsMetrics.Scoring.Tests.Calibration;

public class CalibrationTallyTests
{
    private static KeyValuePair<string, double>[] C(params (string Name, double Value)[] values) =>
        values.Select(v => KeyValuePair.Create(v.Name, v.Value)).ToArray();

    [Fact]
    public void Worked_example_bands_precision_recall_green_share_and_component_auc()
    {
        var tally = new CalibrationTally();
        // Churned: bands 30/60/90 days before, band and components at the prediction time.
        tally.AddChurned(["red", "yellow", "green"], "red", C(("engagement", 10), ("support", 80)));
        tally.AddChurned(["red", "red", null], "yellow", C(("engagement", 20), ("support", 90)));
        tally.AddChurned(["green", "green", "green"], "green", C(("engagement", 70), ("support", 40)));
        tally.AddChurned(["yellow", null, null], null, []);
        // Retained.
        tally.AddRetained("red", C(("engagement", 30), ("support", 50)));
        tally.AddRetained("green", C(("engagement", 80), ("support", 60)));
        tally.AddRetained("green", C(("engagement", 90), ("support", 40)));
        tally.AddRetained(null, []);

        var s = tally.Summarize();
        Assert.Equal(4, s.Churned);
        Assert.Equal(4, s.RetainedCounted);
        Assert.Equal(4.0, s.RetainedRepresented);
        Assert.Equal(
            [new BandsBeforeChurn(30, 2, 1, 1, 0), new BandsBeforeChurn(60, 1, 1, 1, 1), new BandsBeforeChurn(90, 0, 0, 2, 2)],
            s.BandsBeforeChurn);

        // At the prediction time (band known): churned red 1, churned not red 2; retained red 1, not red 2.
        Assert.Equal(new RedPrediction(1, 1, 2, 2), s.Red);
        Assert.Equal(0.5, s.Red.Precision);       // 1 / (1 + 1)
        Assert.Equal(1.0 / 3, s.Red.Recall);      // 1 / (1 + 2)

        // 30 days before churn: 4 known, 1 green → 0.25.
        Assert.Equal(0.25, s.GreenShare);

        // engagement: churned 10, 20, 70 vs retained 30, 80, 90:
        //   10 → 3, 20 → 3, 70 → 2 (80, 90) → 8 / 9.
        // support: churned 80, 90, 40 vs retained 50, 60, 40:
        //   80 → 0, 90 → 0, 40 → 2 + ½ (tie with 40) → 2.5 / 9: a measure that points the wrong way.
        Assert.Equal(["engagement", "support"], s.Components.Select(c => c.Name));
        Assert.Equal(8.0 / 9, s.Components[0].Auc!.Value, 12);
        Assert.Equal(2.5 / 9, s.Components[1].Auc!.Value, 12);
        Assert.Equal((3, 3), (s.Components[0].Churned, s.Components[0].Retained));
    }

    [Fact]
    public void No_churned_accounts_leave_recall_green_share_and_auc_undefined()
    {
        var tally = new CalibrationTally();
        tally.AddRetained("red", C(("engagement", 30)));
        tally.AddRetained("green", C(("engagement", 80)));
        var s = tally.Summarize();
        Assert.Equal(0, s.Churned);
        Assert.Equal(new RedPrediction(0, 1, 0, 1), s.Red);
        Assert.Equal(0.0, s.Red.Precision); // one red, and it did not churn
        Assert.Null(s.Red.Recall);
        Assert.Null(s.GreenShare);
        Assert.Equal([new ComponentSeparation("engagement", null, 0, 2)], s.Components);
        Assert.All(s.BandsBeforeChurn, b => Assert.Equal(0, b.Red + b.Yellow + b.Green + b.Unknown));
    }

    [Fact]
    public void All_churned_gives_perfect_precision_for_red_and_no_auc()
    {
        var tally = new CalibrationTally();
        tally.AddChurned(["red", "red", "red"], "red", C(("engagement", 5)));
        tally.AddChurned(["green", "green", "green"], "green", C(("engagement", 95)));
        var s = tally.Summarize();
        Assert.Equal(1.0, s.Red.Precision); // 1 / (1 + 0)
        Assert.Equal(0.5, s.Red.Recall);    // 1 / (1 + 1)
        Assert.Equal(0.5, s.GreenShare);    // 1 of 2
        Assert.Equal([new ComponentSeparation("engagement", null, 2, 0)], s.Components);
    }

    [Fact]
    public void A_single_component_and_a_sampled_retained_group()
    {
        var tally = new CalibrationTally();
        tally.AddChurned(["red", "yellow", "yellow"], "red", C(("adoption", 25)));
        // Each sampled retained account stands for 10.
        tally.AddRetained("red", C(("adoption", 25)), weight: 10);
        tally.AddRetained("green", C(("adoption", 75)), weight: 10);
        var s = tally.Summarize();
        Assert.Equal(2, s.RetainedCounted);
        Assert.Equal(20.0, s.RetainedRepresented);
        // Precision = 1 / (1 + 10): one red account sampled stands for ten red retained ones.
        Assert.Equal(1.0 / 11, s.Red.Precision!.Value, 12);
        Assert.Equal(1.0, s.Red.Recall);
        // AUC: churned 25 vs retained 25 (tie, ½) and 75 (win) → 1.5 / 2 (the sample is unweighted).
        Assert.Equal([new ComponentSeparation("adoption", 0.75, 1, 2)], s.Components);
    }

    [Fact]
    public void Bands_must_be_given_for_each_lead()
    {
        Assert.Throws<ArgumentException>(() => new CalibrationTally().AddChurned(["red"], "red", []));
    }
}
