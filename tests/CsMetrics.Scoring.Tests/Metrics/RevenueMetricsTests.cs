using CsMetrics.Scoring.Tests.Support;
using static CsMetrics.Scoring.Tests.Metrics.MetricsTestSupport;

namespace CsMetrics.Scoring.Tests.Metrics;

public class RevenueMetricsTests
{
    [Fact]
    public void Mrr_at_start_0_leaves_every_rate_over_it_undefined()
    {
        // A new account from 5 March: new MRR 100, nothing paying at the start.
        var r = Account(Sig.Revenue(At(3, 5), 100)).Report((3, 1), (3, 31)).Revenue;
        Assert.Equal((0m, 100m, 100m), (r.MrrStart, r.MrrEnd, r.NewMrr));
        Assert.Null(r.NetMrrChurn);
        Assert.Null(r.GrossMrrChurn);
        Assert.Null(r.Grr);
        Assert.Null(r.Nrr);
        Assert.Equal(0, r.PayingAccountsStart);
        Assert.Null(r.LogoChurn);
        Assert.Null(r.LogoRetention);
        Assert.Null(r.Clv);
    }

    [Fact]
    public void An_account_that_expands_and_churns_in_one_period()
    {
        var signals = new[] { Sig.Revenue(At(1, 1), 100), Sig.Revenue(At(3, 5), 150), Sig.Revenue(At(3, 20), 0) };
        foreach (var a in new[] { Account(signals), Account(Scrambled(signals, 3)) })
        {
            var r = a.Report((3, 1), (3, 31)).Revenue;
            // start 100; 100 → 150 is expansion 50; 150 → 0 is churn 150
            Assert.Equal((100m, 0m, 50m, 150m), (r.MrrStart, r.MrrEnd, r.ExpansionMrr, r.ChurnedMrr));
            // gross = (150 + 0) / 100 = 1.5; net = (150 + 0 − 50 − 0) / 100 = 1.0
            Assert.Equal(1.5, r.GrossMrrChurn);
            Assert.Equal(1.0, r.NetMrrChurn);
            // NRR = (100 + 50 − 0 − 150) / 100 = 0; GRR = (100 − 0 − 150) / 100 = −0.5, clamped to 0
            Assert.Equal(0.0, r.Nrr);
            Assert.Equal(0.0, r.Grr);
            // 1 of 1 paying at the start churned
            Assert.Equal(1.0, r.LogoChurn);
            Assert.Equal(0.0, r.LogoRetention);
            // nobody pays at the end: average MRR per paying account is undefined, so is CLV
            Assert.Null(r.AverageMrrPerAccount);
            Assert.Null(r.Clv);
        }
    }

    [Fact]
    public void Reactivation_is_neither_new_nor_expansion()
    {
        // Paying since 1 January, churns 3 March, comes back 15 March at 120.
        var r = Account(Sig.Revenue(At(1, 1), 100), Sig.Revenue(At(3, 3), 0), Sig.Revenue(At(3, 15), 120)).Report((3, 1), (3, 31)).Revenue;
        Assert.Equal((100m, 120m), (r.MrrStart, r.MrrEnd));
        Assert.Equal((0m, 100m, 120m), (r.NewMrr, r.ChurnedMrr, r.ReactivationMrr));
        // net = (100 + 0 − 0 − 120) / 100 = −0.2 (negative net churn: more came back than left)
        Assert.Equal(-0.2, r.NetMrrChurn!.Value, 12);
        Assert.Equal(1.0, r.GrossMrrChurn);
        // the cohort (paying at start) churned: NRR = (100 + 0 − 0 − 100) / 100 = 0
        Assert.Equal(0.0, r.Nrr);
        Assert.Equal(1.0, r.LogoChurn);
    }

    [Fact]
    public void A_reactivation_in_a_later_period_starts_a_new_stint_outside_the_cohort()
    {
        // Churned in February, back in March at 80: March starts at 0.
        var r = Account(Sig.Revenue(At(1, 1), 100), Sig.Revenue(At(2, 1), 0), Sig.Revenue(At(3, 10), 80)).Report((3, 1), (3, 31)).Revenue;
        Assert.Equal((0m, 80m, 80m, 0m), (r.MrrStart, r.MrrEnd, r.ReactivationMrr, r.NewMrr));
        Assert.Null(r.NetMrrChurn);
    }

    [Fact]
    public void Portfolio_rates_and_clv_over_three_accounts()
    {
        var steady = Account(Sig.Revenue(At(1, 1), 100));
        var shrinking = Account(Sig.Revenue(At(1, 1), 300), Sig.Revenue(At(3, 15), 200));
        var leaving = Account(Sig.Revenue(At(1, 1), 100), Sig.Revenue(At(3, 20), 0));
        var r = Portfolio((3, 1), (3, 31), steady, shrinking, leaving).Revenue;
        // start 100 + 300 + 100 = 500; end 100 + 200 + 0 = 300; contraction 100, churn 100
        Assert.Equal((500m, 300m, 100m, 100m), (r.MrrStart, r.MrrEnd, r.ContractionMrr, r.ChurnedMrr));
        // gross = (100 + 100) / 500 = 0.4; net the same (no expansion, no reactivation)
        Assert.Equal(0.4, r.GrossMrrChurn);
        Assert.Equal(0.4, r.NetMrrChurn);
        // GRR = (500 − 100 − 100) / 500 = 0.6; NRR = (500 + 0 − 100 − 100) / 500 = 0.6
        Assert.Equal(0.6, r.Grr!.Value, 12);
        Assert.Equal(0.6, r.Nrr!.Value, 12);
        // logo churn = 1 / 3; monthly = 1/3 × 30.4375 / 31; average MRR = 300 / 2 = 150
        Assert.Equal(1.0 / 3, r.LogoChurn!.Value, 12);
        Assert.Equal(1.0 / 3 * 30.4375 / 31, r.MonthlyLogoChurn!.Value, 12);
        Assert.Equal(150.0, r.AverageMrrPerAccount);
        // CLV = 150 / (1/3 × 30.4375 / 31) = 150 × 3 × 31 / 30.4375 = 13950 / 30.4375 = 458.316…
        Assert.Equal(13950 / 30.4375, r.Clv!.Value, 9);
    }

    [Fact]
    public void Zero_churn_guard_clv_is_null_not_infinite()
    {
        var r = Portfolio((3, 1), (3, 31), Account(Sig.Revenue(At(1, 1), 100)), Account(Sig.Revenue(At(1, 1), 50), Sig.Revenue(At(3, 9), 70))).Revenue;
        // expansion 20, no churn: logo churn 0 / 2 = 0, monthly 0 → CLV undefined
        Assert.Equal(20m, r.ExpansionMrr);
        Assert.Equal(0.0, r.LogoChurn);
        Assert.Equal(0.0, r.MonthlyLogoChurn);
        Assert.Null(r.Clv);
        // NRR = (150 + 20) / 150
        Assert.Equal(170.0 / 150, r.Nrr!.Value, 12);
        Assert.Equal(1.0, r.Grr);
    }

    [Fact]
    public void Renewals_due_in_the_period_are_kept_when_mrr_is_above_0_on_the_renewal_day()
    {
        var kept = Account(Sig.Revenue(At(1, 1), 100)).Report((3, 1), (3, 31), renewal: new DateOnly(2025, 3, 15)).Revenue;
        Assert.Equal((1L, 1L, 1.0), (kept.RenewalsDue, kept.RenewalsKept, kept.RenewalRate!.Value));
        var lost = Account(Sig.Revenue(At(1, 1), 100), Sig.Revenue(At(3, 15, 8), 0)).Report((3, 1), (3, 31), renewal: new DateOnly(2025, 3, 15)).Revenue;
        Assert.Equal((1L, 0L, 0.0), (lost.RenewalsDue, lost.RenewalsKept, lost.RenewalRate!.Value));
        var none = Account(Sig.Revenue(At(1, 1), 100)).Report((3, 1), (3, 31), renewal: new DateOnly(2025, 6, 1)).Revenue;
        Assert.Null(none.RenewalRate);
    }
}
