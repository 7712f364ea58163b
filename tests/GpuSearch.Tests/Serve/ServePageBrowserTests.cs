// The web page in a real browser: Playwright drives Debian's chromium (headless, --no-sandbox; Playwright's own
// browser download cannot work here) against a real Kestrel host. Upload an image, see result thumbnails, click a
// result and see the next results; open the Duplicates tab and see a planted copy grouped with its original, then
// search by a member; with an API key, the page sends the key the user types.
using System.Text.Json;
using GpuSearch.Cli.Serve;
using GpuSearch.Tests.Support;
using Microsoft.Playwright;

namespace GpuSearch.Tests.Serve;

/// <summary>A serve fact that also needs Debian's chromium.</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public const string Chromium = "/usr/bin/chromium";

    public BrowserFactAttribute()
    {
        foreach (var rel in ServeFixture.Needs)
            if (SharedData.Find(rel, out var why) is null) { Skip = why; return; }
        if (!File.Exists(Chromium)) Skip = $"{Chromium} is absent (scripts/setup.sh installs Debian's chromium package)";
    }
}

[Collection(ServeCollection.Name)]
[Trait("Backend", "OpenCL")]
public sealed class ServePageBrowserTests(ServeFixture fx)
{
    // Searches and scans run on PoCL, which shares the CPU with whatever else the test run does: assertions wait
    // for the page longer than Playwright's 5 s default (a real failure still fails, only later).
    static ServePageBrowserTests() => Assertions.SetDefaultExpectTimeout(30_000);

    private const string ThumbnailsLoaded =
        "() => { const imgs = [...document.querySelectorAll('#results img')]; return imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0); }";

    private static async Task<(IPlaywright, IBrowser)> LaunchAsync()
    {
        var pw = await Playwright.CreateAsync();
        var browser = await pw.Chromium.LaunchAsync(new() { ExecutablePath = BrowserFactAttribute.Chromium, Headless = true, Args = ["--no-sandbox"] });
        return (pw, browser);
    }

    private static Task<long[]> ResultIds(IPage page) =>
        page.Locator("#results .result").EvaluateAllAsync<long[]>("els => els.map(e => Number(e.dataset.id))");

    [BrowserFact]
    public async Task UploadShowsThumbnailsAndClickingAResultSearchesByIt()
    {
        var (host, http) = await fx.StartAsync();
        await using var _ = host;
        var (pw, browser) = await LaunchAsync();
        using var playwright = pw;
        await using var b = browser;
        var page = await browser.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") errors.Add(m.Text); };
        page.Response += (_, r) => { if (r.Status >= 400) errors.Add($"{r.Status} {r.Url}"); };

        await page.GotoAsync(host.Addresses[0]);
        await Assertions.Expect(page.Locator("#stats")).ToContainTextAsync($"{fx.Photos.Length} images");

        var query = fx.Photos[0];
        var queryId = fx.Engine.FindItem(query)!.Id;
        await page.Locator("#k").FillAsync("4");
        await page.Locator("#min-score").FillAsync("-1");
        await page.SetInputFilesAsync("#file", query);
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("4 results");
        await page.WaitForFunctionAsync(ThumbnailsLoaded);
        var first = await ResultIds(page);
        Assert.Equal(4, first.Length);
        Assert.Equal(queryId, first[0]);
        Assert.Equal($"/images/{first[1]}", await page.Locator("#results .result a").Nth(1).GetAttributeAsync("href"));
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync($"/images/{first[1]}")).StatusCode);

        // Click the second result: the page searches by its id, which leaves the item itself out.
        var clicked = first[1];
        await page.Locator("#results .result button").Nth(1).ClickAsync();
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync($"#{clicked}");
        await page.WaitForFunctionAsync(ThumbnailsLoaded);
        var next = await ResultIds(page);
        Assert.Equal(4, next.Length);
        Assert.DoesNotContain(clicked, next);
        using var expected = await http.PostAsync("/search?k=4&min_score=-1", new StringContent(JsonSerializer.Serialize(new { id = clicked }), System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal((await ServeApiTests.Json(expected)).GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetInt64()), next);

        // Keyboard: focus a result's button and press Enter.
        var third = next[2];
        await page.Locator("#results .result button").Nth(2).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync($"#{third}");
        Assert.DoesNotContain(third, await ResultIds(page));
        Assert.Empty(errors);
    }

    [BrowserFact]
    public async Task ALateAnswerForAnOlderThresholdDoesNotReplaceTheNewerOne()
    {
        // Opening the tab asks with the default threshold; its answer is held back until the user's second question
        // (0.95) has been answered and drawn, as when the first scan compiles its kernels. The late answer must be dropped.
        var (host, _) = await fx.StartAsync(engine: fx.DuplicatesEngine);
        await using var running = host;
        var (pw, browser) = await LaunchAsync();
        using var playwright = pw;
        await using var br = browser;
        var page = await browser.NewPageAsync();
        var release = new TaskCompletionSource();
        var staleFinished = new TaskCompletionSource();
        static bool Stale(string url) => url.EndsWith("threshold=0.9", StringComparison.Ordinal);
        await page.RouteAsync("**/duplicates?*", async route =>
        {
            if (Stale(route.Request.Url)) await release.Task;
            await route.ContinueAsync();
        });
        page.RequestFinished += (_, r) => { if (Stale(r.Url)) staleFinished.TrySetResult(); };
        await page.GotoAsync(host.Addresses[0]);
        await page.Locator("#tab-duplicates").ClickAsync();
        await page.Locator("#dup-threshold").FillAsync("0.95");
        await page.Locator("#dup-threshold").PressAsync("Enter");
        await Assertions.Expect(page.Locator("#dup-status")).ToContainTextAsync("cosine above 0.95", new() { Timeout = 60_000 });
        release.SetResult();
        await staleFinished.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await page.EvaluateAsync("() => new Promise(r => setTimeout(r, 200))"); // the page's handler of the late answer has run
        Assert.Contains("cosine above 0.95", await page.Locator("#dup-status").TextContentAsync());
    }

    [BrowserFact]
    public async Task TheDuplicatesTabShowsThePlantedCopyBesideItsOriginal()
    {
        var engine = fx.DuplicatesEngine;
        var (original, copy) = fx.PlantedCopy;
        long a = engine.FindItem(original)!.Id, b = engine.FindItem(copy)!.Id;
        var (host, _) = await fx.StartAsync(engine: engine);
        await using var running = host;
        var (pw, browser) = await LaunchAsync();
        using var playwright = pw;
        await using var br = browser;
        var page = await browser.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") errors.Add(m.Text); };
        page.Response += (_, r) => { if (r.Status >= 400) errors.Add($"{r.Status} {r.Url}"); };
        await page.GotoAsync(host.Addresses[0]);
        await Assertions.Expect(page.Locator("#panel-duplicates")).ToBeHiddenAsync();

        // Keyboard only: focus the Results tab, arrow right to Duplicates, which opens and loads the groups.
        await page.Locator("#tab-results").FocusAsync();
        await page.Keyboard.PressAsync("ArrowRight");
        await Assertions.Expect(page.Locator("#tab-duplicates")).ToBeFocusedAsync();
        await Assertions.Expect(page.Locator("#tab-duplicates")).ToHaveAttributeAsync("aria-selected", "true");
        await Assertions.Expect(page.Locator("#panel-results")).ToBeHiddenAsync();
        await page.Locator("#dup-threshold").FillAsync("0.95");
        await page.Locator("#dup-threshold").PressAsync("Enter");
        // The all-pairs scan runs on the device (PoCL shares the CPU with other tests): wait for it, not the default 5 s.
        await Assertions.Expect(page.Locator("#dup-status")).ToContainTextAsync("cosine above 0.95", new() { Timeout = 60_000 });
        await page.WaitForFunctionAsync(ThumbnailsLoaded.Replace("#results", "#groups"));
        var groups = await page.Locator("#groups .group").EvaluateAllAsync<long[][]>(
            "gs => gs.map(g => [...g.querySelectorAll('.result')].map(e => Number(e.dataset.id)))");
        var planted = Assert.Single(groups, g => g.Contains(a));
        Assert.Contains(b, planted);
        await Assertions.Expect(page.Locator("#groups .group").First).ToContainTextAsync("identical file pair");

        // Clicking a member searches by it and shows the results tab.
        var group = page.Locator("#groups .group").Filter(new() { Has = page.Locator($".result[data-id='{b}']") });
        await group.Locator($".result[data-id='{b}'] button").ClickAsync();
        await Assertions.Expect(page.Locator("#tab-results")).ToHaveAttributeAsync("aria-selected", "true");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync($"#{b}");
        await page.WaitForFunctionAsync(ThumbnailsLoaded);
        Assert.Equal(a, (await ResultIds(page))[0]); // the identical original is the best match for its copy
        Assert.Empty(errors);
    }

    [BrowserFact]
    public async Task WithAnApiKeyThePageSendsTheKeyTheUserTypes()
    {
        const string key = "browser-test-key-0123456789";
        var (host, _) = await fx.StartAsync(new ServeOptions { ApiKey = key });
        await using var running = host;
        var (pw, browser) = await LaunchAsync();
        using var playwright = pw;
        await using var b = browser;
        var page = await browser.NewPageAsync();
        await page.GotoAsync(host.Addresses[0]);
        await Assertions.Expect(page.Locator("#stats")).ToContainTextAsync("unavailable");
        await page.Locator("#api-key").FillAsync(key);
        await page.Locator("#api-key").DispatchEventAsync("change");
        await Assertions.Expect(page.Locator("#stats")).ToContainTextAsync($"{fx.Photos.Length} images");
        await page.SetInputFilesAsync("#file", fx.Photos[2]);
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("results for");
        await page.WaitForFunctionAsync(ThumbnailsLoaded);
        Assert.Equal(fx.Engine.FindItem(fx.Photos[2])!.Id, (await ResultIds(page))[0]);
        Assert.StartsWith("blob:", await page.Locator("#results img").First.GetAttributeAsync("src"));
    }
}
