using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CsMetrics.Server.Tests.Support;
using static CsMetrics.Server.Tests.Support.SignalJson;
using static Microsoft.Playwright.Assertions;

namespace CsMetrics.Server.Tests.Browser;

/// <summary>
/// The metrics page (#/metrics): KPI tiles with trends (GET /api/v1/metrics, this period and the
/// previous one), MRR movements, NPS split, top ticket tags, VoC themes with their comments one
/// click away, and the calibration panel for an admin key; no console errors, no CSP violations.
/// </summary>
public sealed partial class DashboardBrowserTests
{
    [Fact]
    public async Task The_metrics_page_shows_kpis_movements_nps_tags_voc_comments_and_calibration_for_admins()
    {
        string suffix = Guid.NewGuid().ToString("N")[..6];
        string tag = $"billing-{suffix}";
        string priceComment = $"Far too expensive for us ({suffix})";
        var now = DateTimeOffset.UtcNow;
        string grower = $"metrics-grower-{suffix}", leaver = $"metrics-leaver-{suffix}";
        await RegisterAsync(grower, "Grower Inc", "maria.lopez", "enterprise", 20, 60);
        await RegisterAsync(leaver, "Leaver Ltd", "sam.chen", "smb", 5, 200);
        await fixture.Admin.IngestAsync(Batch(
            // Revenue: one expansion and one churn in the last 30 days.
            Revenue(grower, 1000, at: now.AddDays(-60)),
            Revenue(grower, 1500, at: now.AddDays(-10)),
            Revenue(leaver, 400, at: now.AddDays(-60)),
            Revenue(leaver, 0, at: now.AddDays(-5)),
            // Sentiment with comments: a detractor on price, a promoter with nothing themed.
            Survey(leaver, "nps", 2, at: now.AddDays(-6), respondentId: "r1", comment: priceComment),
            Survey(grower, "nps", 10, at: now.AddDays(-3), respondentId: "r2", comment: $"Love the product {suffix}"),
            // Support: tagged tickets.
            Ticket(leaver, at: now.AddDays(-7), ticketId: $"T-{suffix}-1", status: "opened", tags: [tag]),
            Ticket(grower, at: now.AddDays(-4), ticketId: $"T-{suffix}-2", status: "opened", tags: [tag]),
            Usage(grower, at: now.AddHours(-3), userId: "ann", feature: "reports.export")));

        await using var session = await OpenAsync();
        var page = session.Page;
        await SignInAsync(page, "#/metrics", Keys.Admin);
        await Expect(page.Locator("h1#view-title")).ToHaveTextAsync("Metrics");

        // KPI tiles, each with a trend line against the previous 30 days.
        var tiles = page.Locator(".kpi-tiles .kpi-tile");
        await Expect(tiles).ToHaveCountAsync(12);
        await Expect(page.Locator(".kpi-tile[data-metric='nps'] .kpi-label")).ToHaveTextAsync("NPS");
        // The portfolio's NPS may be negative (other tests' accounts); Intl writes a hyphen-minus.
        await Expect(page.Locator(".kpi-tile[data-metric='nps'] .kpi-value")).ToHaveTextAsync(new Regex(@"^[-−]?\d"));
        await Expect(page.Locator(".kpi-tile[data-metric='nps'] .kpi-trend")).ToContainTextAsync(new Regex("previous 30 days|no previous value"));
        await Expect(page.Locator(".kpi-tile[data-metric='logoChurn'] .kpi-value")).ToHaveTextAsync(new Regex(@"\d.* %$"));

        // MRR movements: five bars, the expansion and the churn labelled with their amounts.
        await Expect(page.Locator(".movements-chart .movement-bar")).ToHaveCountAsync(5);
        await Expect(page.Locator(".movements-chart desc")).ToContainTextAsync(new Regex(@"Expansion: \+[\d,]+"));
        await Expect(page.Locator(".movements-chart desc")).ToContainTextAsync(new Regex(@"Churn: −[\d,]+"));

        // NPS split by tenure and segment; the seeded tag among the top tags.
        await Expect(page.Locator(".nps-table tbody tr[data-split='new']")).ToHaveCountAsync(1);
        await Expect(page.Locator(".nps-table tbody tr[data-split='older']")).ToHaveCountAsync(1);
        await Expect(page.Locator($".tags-table tr[data-tag='{tag}'] td").First).ToHaveTextAsync("2");

        // VoC: the price theme counts the detractor; one click shows the comment with its account.
        var price = page.Locator(".voc-table tr[data-theme='price']");
        await Expect(price.Locator("td").Nth(0)).ToHaveTextAsync("1");
        await price.Locator("button.voc-theme").ClickAsync();
        var comment = page.Locator(".voc-comment-list .voc-comment").Filter(new() { HasText = priceComment });
        await Expect(comment).ToHaveCountAsync(1);
        await Expect(comment).ToHaveClassAsync(new Regex("voc-detractor"));
        await Expect(comment.Locator("a")).ToHaveTextAsync(leaver);

        // Calibration for the admin key: the churn of the last 30 days is counted.
        await Expect(page.Locator(".panel-calibration .calibration-summary")).ToContainTextAsync(new Regex(@"[1-9]\d* accounts? churned in the last 30 days"));
        await Expect(page.Locator(".calibration-bands tbody tr")).ToHaveCountAsync(3);

        // Another period reloads everything for 90 days.
        await page.ClickAsync(".period-picker button[data-days='90']");
        await Expect(page.Locator(".kpi-tile[data-metric='nps'] .kpi-trend")).ToContainTextAsync(new Regex("previous 90 days|no previous value"));
        await SaveScreenshotAsync(page, "metrics.png", copyToDocs: false);
        await AssertCleanAsync(session);

        // A read key sees the page but not the calibration.
        await using var reader = await OpenAsync();
        await SignInAsync(reader.Page, "#/metrics");
        await Expect(reader.Page.Locator(".panel-calibration")).ToContainTextAsync("shown to admin keys");
        await Expect(reader.Page.Locator(".kpi-tiles .kpi-tile")).ToHaveCountAsync(12);
        await AssertCleanAsync(reader);
    }
}
