using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CsMetrics.Server.Tests.Process;
using CsMetrics.Server.Tests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static CsMetrics.Server.Tests.Support.SignalJson;
using static Microsoft.Playwright.Assertions;

namespace CsMetrics.Server.Tests.Browser;

/// <summary>
/// One real server process (it serves the dashboard from src/CsMetrics.Server/wwwroot) and one
/// headless Chromium (Debian's /usr/bin/chromium, driven by Playwright's .NET driver) for the
/// dashboard tests. A missing Chromium fails the tests with an install hint; nothing is skipped.
/// </summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly TempDirectory _dataDir = new("csmetrics-dashboard");

    public ServerProcess Server { get; private set; } = null!;
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public HttpClient Admin { get; private set; } = null!;

    /// <summary>The repository root (the folder holding CsMetrics.sln).</summary>
    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "CsMetrics.sln")))
                {
                    return dir.FullName;
                }
            }
            throw new InvalidOperationException($"CsMetrics.sln not found above {AppContext.BaseDirectory}.");
        }
    }

    public static string WebRoot => Path.Combine(RepoRoot, "src", "CsMetrics.Server", "wwwroot");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"The dashboard tests drive Debian's Chromium at {ChromiumPath}, which is missing. " +
                "Install it with 'sudo apt-get install -y chromium' (./build.sh test does this).");
        }
        Assert.True(File.Exists(Path.Combine(WebRoot, "index.html")), $"the dashboard is missing: no index.html in {WebRoot}");
        Assert.True(Directory.Exists(Path.Combine(AppContext.BaseDirectory, ".playwright")),
            "Playwright's driver (.playwright) was not copied to the test output");

        // The server runs from the test output folder like the other process tests; the web root
        // is the dashboard's source folder (wwwroot is only copied on publish).
        Server = await ServerProcess.StartAsync("dashboard", _dataDir.Path, Keys.Configuration,
            new Dictionary<string, string> { ["ASPNETCORE_WEBROOT"] = WebRoot });
        Admin = Server.Client(Keys.Admin);

        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        SetDefaultExpectTimeout(15_000);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }
        Playwright?.Dispose();
        Admin?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
        _dataDir.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardFixture>
{
    public const string Name = "dashboard browser";
}

/// <summary>The dashboard in a real browser: key prompt, the live at-risk list, the account page, and XSS safety.</summary>
[Collection(DashboardCollection.Name)]
public sealed partial class DashboardBrowserTests(DashboardFixture fixture, ITestOutputHelper output)
{
    private static readonly string ArtifactsDir = Path.Combine(AppContext.BaseDirectory, "artifacts");

    /// <summary>A page that records what the browser reports: uncaught errors, console errors, CSP violations.</summary>
    private sealed class Session(IBrowserContext context, IPage page) : IAsyncDisposable
    {
        public IPage Page => page;
        public List<string> PageErrors { get; } = [];
        public List<string> ConsoleErrors { get; } = [];
        public List<string> Dialogs { get; } = [];
        public List<string> Requests { get; } = [];

        public async ValueTask DisposeAsync() => await context.CloseAsync();
    }

    private async Task<Session> OpenAsync()
    {
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = fixture.Server.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
            Locale = "en-US",
            TimezoneId = "UTC",
        });
        var page = await context.NewPageAsync();
        var session = new Session(context, page);
        page.PageError += (_, error) => session.PageErrors.Add(error);
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                session.ConsoleErrors.Add(message.Text);
            }
        };
        page.Dialog += (_, dialog) =>
        {
            session.Dialogs.Add($"{dialog.Type}: {dialog.Message}");
            _ = dialog.DismissAsync();
        };
        page.Request += (_, request) => session.Requests.Add(request.Url);
        // Runs before the page's own scripts: counts CSP violations (an inline handler or script
        // smuggled into the DOM would trigger one) and gives injected markup a flag to set.
        await page.AddInitScriptAsync("""
            window.__xss = 0;
            window.__csp = [];
            document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
            """);
        return session;
    }

    private static async Task SignInAsync(IPage page, string route, string key = Keys.Read)
    {
        await page.GotoAsync("/" + route);
        await Expect(page.Locator("#api-key")).ToBeVisibleAsync();
        await page.FillAsync("#api-key", key);
        await page.ClickAsync("form.signin-form button[type=submit]");
        await Expect(page.Locator("#sign-out")).ToBeVisibleAsync();
    }

    /// <summary>Waits until the table is live: connected, and the hub's Subscribe snapshot applied.</summary>
    private static async Task WaitUntilLiveAsync(IPage page)
    {
        await Expect(page.Locator("#connection")).ToHaveAttributeAsync("data-state", "live");
        await Expect(page.Locator(".live-table")).ToHaveAttributeAsync("data-source", "hub");
    }

    private static async Task AssertCleanAsync(Session session)
    {
        Assert.True(session.PageErrors.Count == 0, "uncaught page errors: " + string.Join(" | ", session.PageErrors));
        var csp = await session.Page.EvaluateAsync<string[]>("() => window.__csp");
        Assert.True(csp.Length == 0, "CSP violations: " + string.Join(" | ", csp));
        // The history endpoint may answer 404 ("no history yet"); the browser logs that as a failed load.
        var errors = session.ConsoleErrors.Where(e => !e.StartsWith("Failed to load resource", StringComparison.Ordinal)).ToArray();
        Assert.True(errors.Length == 0, "console errors: " + string.Join(" | ", errors));
    }

    private async Task SaveScreenshotAsync(IPage page, string name, bool copyToDocs)
    {
        Directory.CreateDirectory(ArtifactsDir);
        string path = Path.Combine(ArtifactsDir, name);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        output.WriteLine($"screenshot: {path}");
        // The README's picture is refreshed on request only, so a test run never dirties the tree.
        if (copyToDocs && Environment.GetEnvironmentVariable("CSMETRICS_UPDATE_SCREENSHOT") == "1")
        {
            string docs = Path.Combine(DashboardFixture.RepoRoot, "docs", name);
            File.Copy(path, docs, overwrite: true);
            output.WriteLine($"screenshot: {docs}");
        }
    }

    private async Task RegisterAsync(string id, string name, string owner, string segment, int seats, int renewalInDays) =>
        await fixture.Admin.RegisterAsync(id, name, owner, segment, seats,
            DateOnly.FromDateTime(DateTime.UtcNow).AddDays(renewalInDays).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>An account in trouble with some usage left, so the at-risk list shows a spread of scores.</summary>
    private async Task SeedStrugglingAsync(string id, string name, string owner, string segment, int seats, int renewalInDays,
        int users, string[] features, int urgent, int high, int nps, decimal mrrBefore, decimal mrrNow)
    {
        await RegisterAsync(id, name, owner, segment, seats, renewalInDays);
        var at = DateTimeOffset.UtcNow.AddHours(-2);
        var signals = new List<JsonObject>();
        for (int u = 0; u < users; u++)
        {
            signals.AddRange(features.Select(f => Usage(id, at: at, userId: $"user-{u}", feature: f)));
        }
        for (int i = 0; i < urgent; i++)
        {
            signals.Add(Ticket(id, at: at, ticketId: $"U-{i}", status: "opened", priority: "urgent"));
        }
        for (int i = 0; i < high; i++)
        {
            signals.Add(Ticket(id, at: at, ticketId: $"H-{i}", status: "opened", priority: "high"));
        }
        signals.Add(Survey(id, "nps", nps, at: at, respondentId: "champion"));
        signals.Add(Revenue(id, mrrBefore, at: DateTimeOffset.UtcNow.AddDays(-20)));
        signals.Add(Revenue(id, mrrNow, at: at));
        await fixture.Admin.IngestAsync(Batch([.. signals]));
    }

    /// <summary>Two open urgent tickets, an NPS of 0 and MRR 0: score 0, red.</summary>
    private static JsonObject[] IntoRed(string id, string ticketPrefix = "T")
    {
        var at = DateTimeOffset.UtcNow.AddHours(-1);
        return
        [
            Ticket(id, at: at, ticketId: $"{ticketPrefix}-1", status: "opened", priority: "urgent"),
            Ticket(id, at: at, ticketId: $"{ticketPrefix}-2", status: "opened", priority: "urgent"),
            Survey(id, "nps", 0, at: at, respondentId: "r-1"),
            Revenue(id, 0, at: at),
        ];
    }

    [Fact]
    public async Task An_account_pushed_into_red_appears_live_in_at_risk_and_its_page_shows_the_components()
    {
        string suffix = Guid.NewGuid().ToString("N")[..6];
        await SeedStrugglingAsync($"northwind-{suffix}", "Northwind Traders", "maria.lopez", "enterprise", 40, 45,
            users: 4, ["reports.export"], urgent: 1, high: 1, nps: 3, mrrBefore: 2000, mrrNow: 1500);
        await SeedStrugglingAsync($"fabrikam-{suffix}", "Fabrikam Logistics", "sam.chen", "mid-market", 60, 120,
            users: 10, ["reports.export", "dashboards.create", "api.call"], urgent: 2, high: 0, nps: 2, mrrBefore: 5000, mrrNow: 3000);
        await SeedStrugglingAsync($"tailspin-{suffix}", "Tailspin Toys", "priya.nair", "smb", 12, 21,
            users: 2, ["reports.export"], urgent: 0, high: 2, nps: 4, mrrBefore: 900, mrrNow: 600);

        await using var session = await OpenAsync();
        var page = session.Page;
        await SignInAsync(page, "#/watchlist/at-risk");
        await WaitUntilLiveAsync(page);
        await Expect(page.Locator("h1#view-title")).ToHaveTextAsync("At risk");
        await Expect(page.Locator(".picker-link").First).ToHaveTextAsync("At risk");
        await Expect(page.Locator($"tr[data-account-id='tailspin-{suffix}']")).ToBeVisibleAsync();
        await page.EvaluateAsync("() => { window.__samePage = 'yes'; }");

        // Push a registered account into red while the page is open.
        string id = $"adventure-works-{suffix}";
        await RegisterAsync(id, "Adventure Works", "maria.lopez", "enterprise", 250, 30);
        var row = page.Locator($"tr[data-account-id='{id}']");
        await Expect(row).ToHaveCountAsync(0);
        await fixture.Admin.IngestAsync(Batch(IntoRed(id)));

        await Expect(row).ToBeVisibleAsync();
        await Expect(row.Locator("a.account-link")).ToHaveTextAsync("Adventure Works");
        await Expect(row.Locator(".chip")).ToHaveTextAsync("Red");
        await Expect(row.Locator(".score-value")).ToHaveTextAsync("0");
        await Expect(row.Locator(".col-owner")).ToContainTextAsync("maria.lopez");
        await Expect(row.Locator(".col-reason")).ToContainTextAsync(new Regex("ticket|NPS|MRR", RegexOptions.IgnoreCase));
        Assert.Equal("yes", await page.EvaluateAsync<string>("() => window.__samePage")); // no reload happened
        // Worst first: score 0 is the first row.
        await Expect(page.Locator(".watchlist-table tbody tr").First).ToHaveAttributeAsync("data-account-id", id);
        await page.WaitForTimeoutAsync(400); // let the row's entrance animation settle for the screenshot
        await SaveScreenshotAsync(page, "dashboard.png", copyToDocs: true);

        // The account page: score, band and the five components, the excluded ones marked "no data".
        await row.Locator("a.account-link").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("#/account/" + Regex.Escape(id) + "$"));
        await Expect(page.Locator("h1#view-title")).ToHaveTextAsync("Adventure Works");
        await Expect(page.Locator(".big-score")).ToHaveTextAsync("0");
        await Expect(page.Locator(".score-card .chip")).ToHaveTextAsync("Red");
        var components = page.Locator(".components .component");
        await Expect(components).ToHaveCountAsync(5);
        await Expect(components.Locator(".component-title")).ToHaveTextAsync(["Engagement", "Adoption", "Support", "Sentiment", "Revenue"]);
        foreach (string name in new[] { "support", "sentiment", "revenue" })
        {
            var c = page.Locator($".component[data-component='{name}']");
            await Expect(c).Not.ToHaveClassAsync(new Regex("component-excluded"));
            await Expect(c.Locator(".bar-value").First).ToHaveTextAsync("0");
        }
        foreach (string name in new[] { "engagement", "adoption" })
        {
            var c = page.Locator($".component[data-component='{name}']");
            await Expect(c).ToHaveClassAsync(new Regex("component-excluded"));
            await Expect(c.Locator(".bar-value").First).ToHaveTextAsync("no data");
        }
        await Expect(page.Locator(".details")).ToContainTextAsync("250");
        await Expect(page.Locator(".changes .change").First).ToContainTextAsync(new Regex("ticket|NPS|MRR", RegexOptions.IgnoreCase));
        await Expect(page.Locator(".panel-history")).ToBeVisibleAsync();
        await Expect(page.Locator(".panel-history .chart-area .loading")).ToHaveCountAsync(0);
        // The signals that did it, newest first.
        await Expect(page.Locator(".signals .signal").First).ToBeVisibleAsync();
        await Expect(page.Locator(".panel-signals")).ToContainTextAsync(new Regex("ticket|NPS|MRR", RegexOptions.IgnoreCase));
        await SaveScreenshotAsync(page, "account.png", copyToDocs: false);

        // Sign out returns to the key prompt and forgets the key.
        await page.ClickAsync("#sign-out");
        await Expect(page.Locator("#api-key")).ToBeVisibleAsync();
        Assert.Null(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('csmetrics.apiKey')"));

        await AssertCleanAsync(session);
    }

    [Fact]
    public async Task A_playbook_that_fires_shows_its_alert_in_the_live_feed_without_a_reload()
    {
        await using var receiver = await Playbooks.WebhookReceiver.StartAsync();
        string suffix = Guid.NewGuid().ToString("N")[..6];
        string playbook = $"feed-{suffix}", path = $"/ok/{suffix}";
        using (var put = await fixture.Admin.PutAsJsonAsync($"/api/v1/playbooks/{playbook}", new
        {
            name = "Escalate red accounts",
            trigger = new { type = "band_falls", to = "red" },
            action = new { type = "webhook", url = receiver.BaseUrl + path },
            cooldownMinutes = 0,
        }))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, put.StatusCode);
        }
        try
        {
            await using var session = await OpenAsync();
            var page = session.Page;
            await SignInAsync(page, "#/watchlist/at-risk");
            await WaitUntilLiveAsync(page);
            await Expect(page.Locator("#alerts h2")).ToHaveTextAsync("Alerts");
            await page.EvaluateAsync("() => { window.__samePage = 'yes'; }");

            string id = $"contoso-{suffix}";
            await RegisterAsync(id, "Contoso Pharmaceuticals", "maria.lopez", "enterprise", 80, 60);
            var alert = page.Locator($"#alerts .alert[data-account-id='{id}']");
            await Expect(alert).ToHaveCountAsync(0);
            await fixture.Admin.IngestAsync(Batch(IntoRed(id)));

            await Expect(alert).ToBeVisibleAsync();
            await Expect(alert).ToHaveAttributeAsync("data-playbook-id", playbook);
            await Expect(alert.Locator(".alert-account")).ToHaveTextAsync("Contoso Pharmaceuticals");
            await Expect(alert.Locator(".alert-account")).ToHaveAttributeAsync("href", $"#/account/{id}");
            await Expect(alert.Locator(".alert-playbook")).ToHaveTextAsync("Escalate red accounts");
            await Expect(alert.Locator(".alert-summary")).ToContainTextAsync("band fell to red");
            await Expect(alert.Locator(".chip")).ToHaveTextAsync("Red");
            await Expect(page.Locator("#alerts .alert").First).ToHaveAttributeAsync("data-account-id", id); // newest first
            Assert.Equal("yes", await page.EvaluateAsync<string>("() => window.__samePage")); // no reload happened
            await Expect(alert).ToHaveCountAsync(1); // pushed once, listed once
            // The webhook and the feed's push are separate deliveries of the same firing: either
            // may arrive first.
            var posted = await Time.TimeApi.Until(() => Task.FromResult(receiver.For(path)), r => r.Any(b => b["accountId"]?.GetValue<string>() == id));
            Assert.Single(posted, b => b["accountId"]?.GetValue<string>() == id);
            await AssertCleanAsync(session);

            // A page opened later starts with the alert already listed.
            await using var later = await OpenAsync();
            await SignInAsync(later.Page, "#/watchlist/at-risk");
            await Expect(later.Page.Locator($"#alerts .alert[data-account-id='{id}']")).ToBeVisibleAsync();
            await AssertCleanAsync(later);
        }
        finally
        {
            using var deleted = await fixture.Admin.DeleteAsync($"/api/v1/playbooks/{playbook}");
        }
    }

    [Fact]
    public async Task Markup_in_account_data_is_shown_as_text_and_never_runs()
    {
        const string name = "<img src=x onerror=alert(1)>";
        const string owner = "<img src=x onerror=window.__xss=1>";
        const string segment = "<script>window.__xss=2</script>";
        const string ticketPrefix = "<svg/onload=window.__xss=3>";
        string id = NewAccountId("xss");
        await fixture.Admin.RegisterAsync(id, name, owner, segment, 10, "2027-01-15");
        await fixture.Admin.IngestAsync(Batch(IntoRed(id, ticketPrefix)));

        await using var session = await OpenAsync();
        var page = session.Page;
        try
        {
            await SignInAsync(page, "#/watchlist/at-risk");
            await WaitUntilLiveAsync(page);
            var row = page.Locator($"tr[data-account-id='{id}']");
            await Expect(row).ToBeVisibleAsync();
            await Expect(row.Locator("a.account-link")).ToHaveTextAsync(name);
            await Expect(row.Locator(".col-owner")).ToContainTextAsync(owner);
            await Expect(row.Locator(".col-reason")).ToContainTextAsync(new Regex("ticket|NPS|MRR", RegexOptions.IgnoreCase));

            await row.Locator("a.account-link").ClickAsync();
            await Expect(page.Locator("h1#view-title")).ToHaveTextAsync(name);
            await Expect(page.Locator(".details")).ToContainTextAsync(owner);
            await Expect(page.Locator(".details")).ToContainTextAsync(segment);
            await Expect(page.Locator(".changes")).ToContainTextAsync(ticketPrefix);
            await page.WaitForTimeoutAsync(500); // time for an injected image to fail and fire onerror

            Assert.Equal(0, await page.Locator("main img, main script, main [onerror], main [onload]").CountAsync());
            Assert.Equal(0, await page.EvaluateAsync<int>("() => window.__xss"));
            Assert.True(session.Dialogs.Count == 0, "dialogs opened: " + string.Join(" | ", session.Dialogs));
            var injected = session.Requests.Where(u => new Uri(u).AbsolutePath == "/x").ToArray();
            Assert.True(injected.Length == 0, "the browser requested an injected image: " + string.Join(", ", injected));
            await AssertCleanAsync(session);
        }
        finally
        {
            // Out of red again, so other tests' at-risk list (and the screenshot) stays clean.
            var at = DateTimeOffset.UtcNow.AddMinutes(-30);
            await fixture.Admin.IngestAsync(Batch(
                Ticket(id, at: at, ticketId: $"{ticketPrefix}-1", status: "solved", priority: "urgent"),
                Ticket(id, at: at, ticketId: $"{ticketPrefix}-2", status: "solved", priority: "urgent"),
                Survey(id, "nps", 10, at: at, respondentId: "r-1"),
                Revenue(id, 1100, at: at)));
        }
    }
}
