// Margin trimming: the device's content-box reduction against the scalar MarginTrim.Find on PoCL (drawings with
// white margins at awkward sizes, all-white, one content pixel, the minimum size at the image edges, a coloured
// background, the threshold boundary, a strided image at an offset), whole preprocessing with trim against
// PreprocessReference, hand-worked boxes, the spec rules and JSON, and the letterbox presets keeping the model's
// own normalization.
using GpuSearch.Compute;
using GpuSearch.Embedding;
using GpuSearch.Imaging;
using static GpuSearch.Tests.Imaging.PreprocessTestSupport;

namespace GpuSearch.Tests.Imaging;

public sealed class MarginTrimTests(PreprocessDeviceFixture fixture) : IClassFixture<PreprocessDeviceFixture>
{
    private readonly ComputeDevice _device = fixture.Device;

    private static readonly PreprocessSpec TrimSpec224 = PreprocessPresets.Get("trim-letterbox") with
    {
        Resize = new ResizeSpec { Mode = ResizeMode.Exact, Width = 23, Height = 23 },
    };

    /// <summary>A white image with a random-noise drawing in [x0, x1) × [y0, y1).</summary>
    private static byte[] Drawing(int w, int h, int x0, int y0, int x1, int y1, int seed)
    {
        var img = new byte[3 * w * h];
        Array.Fill(img, (byte)255);
        var noise = RandomImage(w, h, seed);
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
                for (int c = 0; c < 3; c++) img[(y * w + x) * 3 + c] = (byte)Math.Min((int)noise[(y * w + x) * 3 + c], 200);
        return img;
    }

    private static byte[] Uniform(int w, int h, byte r, byte g, byte b)
    {
        var img = new byte[3 * w * h];
        for (int i = 0; i < w * h; i++) { img[3 * i] = r; img[3 * i + 1] = g; img[3 * i + 2] = b; }
        return img;
    }

    private static byte[] WithPixel(byte[] img, int w, int x, int y, byte r, byte g, byte b)
    {
        var copy = (byte[])img.Clone();
        copy[(y * w + x) * 3] = r; copy[(y * w + x) * 3 + 1] = g; copy[(y * w + x) * 3 + 2] = b;
        return copy;
    }

    public static TheoryData<string> CaseNames() => new(Cases().Keys);

    private static Dictionary<string, (TrimSpec Trim, int W, int H, byte[] Rgb)> Cases()
    {
        var white = new TrimSpec();
        return new()
        {
            ["drawing-301x97"] = (white, 301, 97, Drawing(301, 97, 40, 9, 277, 80, 1)),
            ["drawing-wider-than-group-700x5"] = (white, 700, 5, Drawing(700, 5, 3, 1, 650, 4, 2)),
            ["drawing-at-corner-33x1000"] = (white, 33, 1000, Drawing(33, 1000, 0, 0, 5, 1000, 3)),
            ["all-white-64x48"] = (white, 64, 48, Uniform(64, 48, 255, 255, 255)),
            ["one-pixel-1x1"] = (white, 1, 1, Uniform(1, 1, 0, 0, 0)),
            ["single-pixel-centre"] = (white, 100, 50, WithPixel(Uniform(100, 50, 255, 255, 255), 100, 50, 25, 0, 0, 0)),
            ["single-pixel-at-corner-min-size"] = (white, 100, 50, WithPixel(Uniform(100, 50, 255, 255, 255), 100, 99, 49, 0, 255, 255)),
            ["min-size-larger-than-image"] = (white with { MinSize = 40 }, 30, 12, WithPixel(Uniform(30, 12, 255, 255, 255), 30, 3, 3, 9, 9, 9)),
            ["threshold-boundary"] = (white with { Threshold = 20 }, 40, 30,
                WithPixel(WithPixel(Uniform(40, 30, 255, 255, 255), 40, 2, 2, 235, 255, 255), 40, 30, 20, 255, 234, 255)),
            ["black-background"] = (white with { Background = new ChannelValues(0, 0, 0), Threshold = 0, MinSize = 1 }, 57, 43,
                WithPixel(WithPixel(Uniform(57, 43, 0, 0, 0), 57, 5, 40, 0, 0, 1), 57, 50, 3, 1, 0, 0)),
        };
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void DeviceBoxMatchesScalarReference(string name)
    {
        var (trim, w, h, rgb) = Cases()[name];
        var spec = TrimSpec224 with { Trim = trim };
        var expected = MarginTrim.Find(trim, rgb, w, h);
        using var pre = new GpuPreprocessor(_device, spec);
        // The image sits 96 bytes into the buffer with 5 spare bytes per row, as decoders on the device may leave it.
        int stride = 3 * w + 5;
        var padded = new byte[96 + stride * h];
        Array.Fill(padded, (byte)7); // not background: a kernel reading the row padding would widen the box
        for (int y = 0; y < h; y++) rgb.AsSpan(y * 3 * w, 3 * w).CopyTo(padded.AsSpan(96 + y * stride));
        using var buf = _device.Allocate(padded.Length);
        _device.Stream.Upload<byte>(buf, padded);
        var actual = pre.FindContentBoxes(buf, [new DeviceImage(96, w, h, stride)]);
        Assert.Equal(expected, actual[0]);

        // And the whole preprocessing of the trimmed image matches the reference (uint8 arithmetic: only the final fma may differ).
        var gpu = RunGpu(_device, spec, rgb, w, h);
        var reference = PreprocessReference.Run(spec, rgb, w, h);
        Assert.True(Diff(gpu, reference).Max <= 1e-5, $"{name}: max diff {Diff(gpu, reference).Max}");
    }

    [Fact]
    public void BoxesFollowTheRules()
    {
        var t = new TrimSpec(); // min size 16
        Assert.Equal(new ContentBox(0, 0, 64, 48), MarginTrim.Find(t, Uniform(64, 48, 255, 255, 255), 64, 48)); // nothing: whole image
        Assert.Equal(new ContentBox(43, 18, 16, 16), MarginTrim.Finish(t, 100, 50, 50, 25, 50, 25));  // grows around the pixel
        Assert.Equal(new ContentBox(84, 34, 16, 16), MarginTrim.Finish(t, 100, 50, 99, 49, 99, 49));  // shifted inside at the corner
        Assert.Equal(new ContentBox(0, 0, 10, 5), MarginTrim.Finish(t, 10, 5, 4, 2, 4, 2));           // capped by a small image
        Assert.Equal(new ContentBox(3, 4, 50, 20), MarginTrim.Finish(t, 100, 50, 3, 4, 52, 23));      // big enough: unchanged
        // The threshold is exclusive: 20 levels off white is background at threshold 20, 21 is content.
        var img = WithPixel(WithPixel(Uniform(40, 30, 255, 255, 255), 40, 2, 2, 235, 255, 255), 40, 30, 20, 255, 234, 255);
        Assert.Equal(new ContentBox(30, 20, 1, 1), MarginTrim.Find(t with { Threshold = 20, MinSize = 1 }, img, 40, 30));
    }

    [Fact]
    public void TrimmingRemovesMarginsFromTheEmbeddingInput()
    {
        // The same drawing on a small and on a large white page gives the same tensor once trimmed.
        var small = Drawing(60, 40, 10, 5, 50, 35, 4);
        var large = new byte[3 * 200 * 150];
        Array.Fill(large, (byte)255);
        for (int y = 5; y < 35; y++) small.AsSpan((y * 60 + 10) * 3, 40 * 3).CopyTo(large.AsSpan(((y + 50) * 200 + 80) * 3));
        var a = RunGpu(_device, TrimSpec224, small, 60, 40);
        var b = RunGpu(_device, TrimSpec224, large, 200, 150);
        Assert.True(Diff(a, b).Max <= 1e-6, $"max diff {Diff(a, b).Max}");
        var untrimmed = TrimSpec224 with { Trim = null };
        Assert.True(Diff(RunGpu(_device, untrimmed, small, 60, 40), RunGpu(_device, untrimmed, large, 200, 150)).Max > 0.1);
    }

    [Fact]
    public void SpecRulesAndJson()
    {
        var bad = new PreprocessSpec { Trim = new TrimSpec(), Resize = new ResizeSpec { Mode = ResizeMode.ShorterSide, Size = 256 } };
        Assert.Contains("trim needs a fixed output size", Assert.Throws<ArgumentException>(bad.Validate).Message);
        Assert.Contains("trim.threshold", Assert.Throws<ArgumentException>(() => (TrimSpec224 with { Trim = new TrimSpec { Threshold = 255 } }).Validate()).Message);
        Assert.Contains("trim.minSize", Assert.Throws<ArgumentException>(() => (TrimSpec224 with { Trim = new TrimSpec { MinSize = 0 } }).Validate()).Message);

        var spec = TrimSpec224 with { Trim = new TrimSpec { Background = new ChannelValues(250, 251, 252), Threshold = 9, MinSize = 33 } };
        var json = PreprocessSpecJson.Write(spec);
        Assert.Equal(spec, PreprocessSpecJson.Read(json));
        Assert.Contains("\"trim\"", json);
        Assert.DoesNotContain("\"trim\"", PreprocessSpecJson.Write(PreprocessPresets.Torchvision)); // old specs keep their JSON
        Assert.Contains("trim.extra", Assert.Throws<FormatException>(() =>
            PreprocessSpecJson.Read(json.Replace("\"threshold\"", "\"extra\": 1, \"threshold\""))).Message);
    }

    [Fact]
    public void LetterboxKeepsTheModelsNormalization()
    {
        // The default model (BGR, 0-255 minus per-channel means) and nsfwjs ([0, 1]) keep theirs under letterbox geometry.
        foreach (var model in new[] { DefaultModel.Preprocess, DefaultModel.NsfwJs.Preprocess })
            foreach (var name in PreprocessPresets.GeometryNames)
            {
                var s = PreprocessPresets.Get(name, model);
                Assert.Equal((model.ChannelOrder, model.Scale, model.Mean, model.Std), (s.ChannelOrder, s.Scale, s.Mean, s.Std));
                Assert.True(s.PadToSquare);
                Assert.Equal(ChannelValues.All(255), s.Fill);
                Assert.Equal((ResizeMode.Exact, 224, 224), (s.Resize!.Mode, s.Resize.Width, s.Resize.Height));
                Assert.Equal(name == "trim-letterbox", s.Trim is not null);
                Assert.Null(s.CenterCrop);
            }
        Assert.NotEqual(PreprocessPresets.ImageNetMean, PreprocessPresets.Get("letterbox", DefaultModel.Preprocess).Mean);
        // The output size follows the model's spec (here a 299 crop), and without a model it is the torchvision form.
        var inception = PreprocessPresets.Torchvision with { Resize = new ResizeSpec { Size = 342 }, CenterCrop = new CropSize(299, 299) };
        Assert.Equal((299, 299), (PreprocessPresets.Get("letterbox", inception).Resize!.Width, PreprocessPresets.Get("letterbox", inception).Resize!.Height));
        Assert.Equal(PreprocessPresets.Letterbox, PreprocessPresets.Get("letterbox"));
        Assert.Equal(PreprocessPresets.ImageNetMean, PreprocessPresets.Letterbox.Mean);
    }
}
