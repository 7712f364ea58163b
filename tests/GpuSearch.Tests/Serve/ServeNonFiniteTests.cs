// One image the model cannot embed (its output holds infinity) must fail only its own request, not the micro-batch it
// shares with others: a tiny model takes the reciprocal of each channel's mean, so an all-black image gives infinity while
// coloured images embed normally. Three uploads gathered into one batch answer 200, 422 NonFiniteEmbedding, 200.
using GpuSearch.Tests.Support;
using System.Net;
using GpuSearch.Cli.Serve;
using GpuSearch.Embedding;
using GpuSearch.Imaging;
using GpuSearch.Reports;
using GpuSearch.Tests.Models;
using GpuSearch.Tests.Models.Support;

namespace GpuSearch.Tests.Serve;

[Trait("Backend", "OpenCL")]
public sealed class ServeNonFiniteTests
{
    private const int Side = 16;

    /// <summary>[N,3,16,16] → channel means → 1 / mean → Gemm → [N,4]: finite unless a channel is all zero.</summary>
    private static string ReciprocalModel(string dir)
    {
        var path = Path.Combine(dir, "reciprocal-mean.onnx");
        new OnnxTestWriter().Input("input", "N", 3, Side, Side).Output("embedding")
            .Init("b", [3, 4], [1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1])
            .Node("GlobalAveragePool", ["input"], ["g"]).Init("one", [1], [1]).Node("Flatten", ["g"], ["f"]).Node("Div", ["one", "f"], ["l"])
            .Node("Gemm", ["l", "b"], ["embedding"])
            .Save(path);
        return path;
    }

    private static byte[] Solid(byte r, byte g, byte b)
    {
        var rgb = new byte[Side * Side * 3];
        for (int i = 0; i < rgb.Length; i += 3) (rgb[i], rgb[i + 1], rgb[i + 2]) = (r, g, b);
        return TestPng.EncodeRgb(rgb, Side, Side);
    }

    [Fact]
    public async Task ANonFiniteImageFailsAloneAndItsBatchMatesAreAnswered()
    {
        using var dir = new TempDir();
        var images = Directory.CreateDirectory(Path.Combine(dir.Path, "images")).FullName;
        var colours = new[] { Solid(200, 30, 90), Solid(30, 200, 90), Solid(90, 30, 200) };
        for (int i = 0; i < colours.Length; i++) File.WriteAllBytes(Path.Combine(images, $"c{i}.png"), colours[i]);
        var options = new EngineOptions
        {
            Device = "cpu", ModelPath = ReciprocalModel(dir.Path), BatchSize = 4, DecodeWorkers = 2,
            Preprocess = new PreprocessSpec { Resize = new ResizeSpec { Mode = ResizeMode.Exact, Width = Side, Height = Side }, Scale = 1.0 / 255.0 },
        };
        using var engine = ImageSearchEngine.Open(Path.Combine(dir.Path, "db"), options);
        Assert.Equal(3, (await engine.AddImagesAsync([images])).Added);

        // A long window gathers the three concurrent uploads into one device pass.
        await using var host = await ServeHost.StartAsync(engine, new ServeOptions { Urls = "http://127.0.0.1:0", BatchWindow = TimeSpan.FromSeconds(3) });
        using var http = new HttpClient { BaseAddress = new Uri(host.Addresses[0]), Timeout = TimeSpan.FromMinutes(2) };
        var uploads = new[] { colours[0], Solid(0, 0, 0), colours[2] };
        var answers = await Task.WhenAll(uploads.Select(u => http.PostAsync("/search?k=1", ServeApiTests.Upload(u))));
        Assert.Equal(1, host.Searcher.Batches);
        Assert.Equal(3, host.Searcher.Requests);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.UnprocessableEntity, HttpStatusCode.OK], answers.Select(a => a.StatusCode));
        var refused = await ServeApiTests.Json(answers[1]);
        Assert.Equal(EmbeddingPipeline.NonFiniteReason, refused.GetProperty("reason").GetString());
        Assert.Contains("NaN or infinite", refused.GetProperty("error").GetString());
        foreach (var i in new[] { 0, 2 })
        {
            var hit = (await ServeApiTests.Json(answers[i])).GetProperty("results")[0];
            Assert.Equal(Path.Combine(images, $"c{i}.png"), hit.GetProperty("path").GetString());
        }

        // Alone (no batching) the black image gets the same answer.
        await using var single = await ServeHost.StartAsync(engine, new ServeOptions { Urls = "http://127.0.0.1:0", Batching = false });
        using var http1 = new HttpClient { BaseAddress = new Uri(single.Addresses[0]) };
        using var alone = await http1.PostAsync("/search?k=1", ServeApiTests.Upload(Solid(0, 0, 0)));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, alone.StatusCode);
        foreach (var a in answers) a.Dispose();
    }
}
