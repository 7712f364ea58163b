// GPU preprocess kernels against the scalar reference on seeded random images of awkward sizes, for every
// filter, antialias on/off, both arithmetics, crops larger and smaller than the image, pad-to-square,
// letterbox, BGR and fp16. Tolerances: the uint8 arithmetic is integer-exact, so only the final fma may
// differ (1e-5); float arithmetic may differ by summation order (2e-3 grey levels after scaling); fp16
// adds half an fp16 ulp of the value.
using GpuSearch.Compute;
using GpuSearch.Imaging;
using static GpuSearch.Tests.Imaging.PreprocessTestSupport;

namespace GpuSearch.Tests.Imaging;

public sealed class PreprocessKernelTests(PreprocessDeviceFixture fixture) : IClassFixture<PreprocessDeviceFixture>
{
    private readonly ComputeDevice _device = fixture.Device;

    private static PreprocessSpec Spec(ResizeSpec? resize, CropSize? crop = null, bool pad = false,
        ChannelOrder order = ChannelOrder.Rgb, TensorDType dtype = TensorDType.Fp32) => new()
    {
        Resize = resize, CenterCrop = crop, PadToSquare = pad, ChannelOrder = order, DType = dtype,
        Fill = new ChannelValues(10, 200, 77), Scale = 1 / 255.0,
        Mean = PreprocessPresets.ImageNetMean, Std = PreprocessPresets.ImageNetStd,
    };

    private static ResizeSpec Shorter(int n, Interpolation i, bool aa, ResampleArithmetic a) =>
        new() { Mode = ResizeMode.ShorterSide, Size = n, Interpolation = i, Antialias = aa, Arithmetic = a };

    private static ResizeSpec Exact(int w, int h, Interpolation i, bool aa, ResampleArithmetic a) =>
        new() { Mode = ResizeMode.Exact, Width = w, Height = h, Interpolation = i, Antialias = aa, Arithmetic = a };

    /// <summary>(case name from CaseSpecs, source width, source height).</summary>
    public static TheoryData<string, int, int> Cases()
    {
        var d = new TheoryData<string, int, int>();
        foreach (var name in CaseSpecs.Keys)
            foreach (var (w, h) in new[] { (1, 1), (7, 3), (33, 1000), (301, 97) })
                d.Add(name, w, h);
        return d;
    }

    private static readonly Dictionary<string, PreprocessSpec> CaseSpecs = BuildCases();

    private static Dictionary<string, PreprocessSpec> BuildCases()
    {
        var d = new Dictionary<string, PreprocessSpec>();
        foreach (var arith in Enum.GetValues<ResampleArithmetic>())
            foreach (var interp in Enum.GetValues<Interpolation>())
                foreach (var aa in new[] { true, false })
                {
                    if (interp == Interpolation.Nearest && !aa) continue; // antialias does not apply to nearest
                    var tag = $"{arith}-{interp}-aa{(aa ? 1 : 0)}";
                    d[$"down-crop-{tag}"] = Spec(Shorter(24, interp, aa, arith), new CropSize(21, 19));
                    d[$"up-exact-{tag}"] = Spec(Exact(45, 37, interp, aa, arith));
                }
        d["torchvision-small"] = PreprocessPresets.Torchvision with
        {
            Resize = Shorter(40, Interpolation.Bilinear, true, ResampleArithmetic.Uint8), CenterCrop = new CropSize(35, 35),
        };
        d["crop-larger-than-image"] = Spec(Shorter(16, Interpolation.Bilinear, true, ResampleArithmetic.Uint8), new CropSize(40, 9));
        d["pad-to-square"] = Spec(Exact(29, 29, Interpolation.Bicubic, true, ResampleArithmetic.Uint8), pad: true);
        d["letterbox-longer-side"] = Spec(new ResizeSpec { Mode = ResizeMode.LongerSidePad, Size = 31, Arithmetic = ResampleArithmetic.Float });
        d["letterbox-then-crop"] = Spec(new ResizeSpec { Mode = ResizeMode.LongerSidePad, Size = 31 }, new CropSize(25, 33));
        d["no-resize-crop"] = Spec(null, new CropSize(5, 6));
        d["bgr-caffe"] = PreprocessPresets.Caffe with { Resize = Exact(30, 30, Interpolation.Bilinear, true, ResampleArithmetic.Uint8), CenterCrop = new CropSize(27, 26) };
        d["fp16-u8"] = Spec(Shorter(20, Interpolation.Bicubic, true, ResampleArithmetic.Uint8), new CropSize(17, 17), dtype: TensorDType.Fp16);
        d["fp16-float-bgr"] = Spec(Exact(23, 19, Interpolation.Bilinear, false, ResampleArithmetic.Float), order: ChannelOrder.Bgr, dtype: TensorDType.Fp16);
        d["keras-mobilenet-small"] = PreprocessPresets.KerasMobileNet with { Resize = Exact(22, 18, Interpolation.Bilinear, false, ResampleArithmetic.Float) };
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void KernelMatchesReference(string name, int width, int height)
    {
        var spec = CaseSpecs[name];
        var rgb = RandomImage(width, height, seed: name.Length);
        var plan = new PreprocessPlan(spec, width, height);
        var expected = PreprocessReference.Run(plan, rgb);
        var actual = RunGpu(_device, spec, rgb, width, height);

        bool u8 = spec.Resize?.Arithmetic != ResampleArithmetic.Float;
        double maxMul = plan.Multiplier.Max(Math.Abs);
        double tol = u8 ? 1e-5 : 2e-3 * maxMul + 1e-5;
        for (int i = 0; i < expected.Length; i++)
        {
            double t = tol + (spec.DType == TensorDType.Fp16 ? Math.Abs(expected[i]) / 1024 + 1e-3 * maxMul : 0);
            double d = Math.Abs(expected[i] - actual[i]);
            Assert.True(d <= t, $"{name} {width}x{height}: element {i} of {expected.Length}: GPU {actual[i]} vs reference {expected[i]} (|d| = {d:G3} > {t:G3})");
        }
    }

    [Fact]
    public void DeviceBufferInputWithOffsetAndStride()
    {
        const int w = 37, h = 29, stride = 3 * w + 5, offset = 64;
        var rgb = RandomImage(w, h, seed: 3);
        var strided = new byte[offset + stride * h];
        for (int y = 0; y < h; y++) rgb.AsSpan(y * 3 * w, 3 * w).CopyTo(strided.AsSpan(offset + y * stride));
        var spec = PreprocessPresets.Torchvision with { Resize = Shorter(20, Interpolation.Bilinear, true, ResampleArithmetic.Uint8), CenterCrop = new CropSize(18, 18) };
        using var pre = new GpuPreprocessor(_device, spec);
        using var src = _device.Allocate(strided.Length);
        _device.Stream.Upload<byte>(src, strided);
        using var tensor = pre.AllocateBatch(2, 18, 18);
        pre.Run(src, offset, w, h, stride, tensor, slot: 1);
        _device.Stream.Synchronize();
        var got = _device.Stream.Download<float>(tensor).AsSpan(3 * 18 * 18).ToArray();
        var (max, _, _) = Diff(PreprocessReference.Run(spec, rgb, w, h), got);
        Assert.True(max <= 1e-5, $"max abs {max}");
    }

    [Fact]
    public void RejectsWrongSizesWithClearMessages()
    {
        using var pre = new GpuPreprocessor(_device, PreprocessPresets.Torchvision);
        using var small = pre.AllocateBatch(1, 224, 224);
        var e = Assert.Throws<ArgumentException>(() => pre.Run(new byte[10], 2, 2, small, 0));
        Assert.Contains("Expected 12 bytes", e.Message);
        var e2 = Assert.Throws<ArgumentException>(() => pre.Run(new byte[12], 2, 2, small, 1));
        Assert.Contains("no slot 1", e2.Message);
    }
}
