// Host planning facts checked directly: torchvision's size and crop-offset rounding, letterbox geometry,
// and the shape of the weight tables (normalized rows, PIL tap counts, fixed-point sums).
using GpuSearch.Imaging;

namespace GpuSearch.Tests.Imaging;

public sealed class PreprocessPlanTests
{
    private static PreprocessPlan Plan(PreprocessSpec spec, int w, int h) => new(spec, w, h);

    [Theory]
    // Long side = int(256 * long / short), truncated: 256 * 500 / 375 = 341.33 -> 341.
    [InlineData(500, 375, 341, 256)]
    [InlineData(375, 500, 256, 341)]
    [InlineData(227, 149, 390, 256)]   // 390.01 -> 390
    [InlineData(150, 103, 372, 256)]   // 372.8 -> 372 (truncation, not rounding)
    [InlineData(256, 256, 256, 256)]
    [InlineData(1, 1, 256, 256)]
    [InlineData(33, 1000, 256, 7757)]
    public void ShorterSideFollowsTorchvision(int w, int h, int rw, int rh)
    {
        var p = Plan(new PreprocessSpec { Resize = new ResizeSpec { Mode = ResizeMode.ShorterSide, Size = 256 } }, w, h);
        Assert.Equal((rw, rh), (p.ResizedWidth, p.ResizedHeight));
    }

    [Fact]
    public void MaxSizeCapsTheLongSideLikeTorchvision()
    {
        // 256 x 512 wanted, capped to 400: short = int(400 * 256 / 512) = 200.
        var p = Plan(new PreprocessSpec { Resize = new ResizeSpec { Mode = ResizeMode.ShorterSide, Size = 256, MaxSize = 400 } }, 100, 200);
        Assert.Equal((200, 400), (p.ResizedWidth, p.ResizedHeight));
    }

    [Theory]
    [InlineData(341, 224, 58)]    // (341 - 224) / 2 = 58.5 -> 58 (half to even, Python round)
    [InlineData(343, 224, 60)]    // 59.5 -> 60
    [InlineData(256, 224, 16)]
    [InlineData(224, 224, 0)]
    [InlineData(100, 224, -62)]   // larger crop pads (224 - 100) // 2 on the left/top
    [InlineData(101, 224, -61)]
    public void CenterCropOffsetFollowsTorchvision(int size, int crop, int offset) =>
        Assert.Equal(offset, PreprocessPlan.CropOffset(size, crop));

    [Fact]
    public void TorchvisionPresetGeometry()
    {
        var p = Plan(PreprocessPresets.Torchvision, 500, 375);
        Assert.Equal((341, 256), (p.ResizedWidth, p.ResizedHeight));
        Assert.Equal((224, 224, 58, 16), (p.OutputWidth, p.OutputHeight, p.OffsetX, p.OffsetY));
        Assert.Equal((58, 224), (p.UsedColumnStart, p.UsedColumns));
    }

    [Fact]
    public void LetterboxGeometry()
    {
        var lb = Plan(new PreprocessSpec { Resize = new ResizeSpec { Mode = ResizeMode.LongerSidePad, Size = 100 } }, 300, 151);
        Assert.Equal((100, 50), (lb.ResizedWidth, lb.ResizedHeight));   // 100 * 151 / 300 = 50.33 -> 50
        Assert.Equal((100, 100, 0, -25), (lb.OutputWidth, lb.OutputHeight, lb.OffsetX, lb.OffsetY));
        var sq = Plan(PreprocessPresets.Letterbox, 227, 149);
        Assert.Equal((227, 227, 0, 39), (sq.PaddedWidth, sq.PaddedHeight, sq.PadLeft, sq.PadTop));
    }

    [Theory]
    [InlineData(Interpolation.Bilinear, true)]
    [InlineData(Interpolation.Bicubic, true)]
    [InlineData(Interpolation.Bilinear, false)]
    [InlineData(Interpolation.Bicubic, false)]
    [InlineData(Interpolation.Nearest, true)]
    public void WeightRowsAreNormalized(Interpolation interp, bool aa)
    {
        foreach (var (inSize, outSize) in new[] { (1000, 100), (100, 1000), (7, 3), (1, 5), (5, 1), (391, 256) })
        {
            var axis = PreprocessAxis.Create(inSize, outSize, interp, aa);
            var fixedW = axis.FixedWeights();
            for (int i = 0; i < outSize; i++)
            {
                Assert.InRange(axis.Start[i], 0, inSize - 1);
                Assert.InRange(axis.Start[i] + axis.Count[i], 1, inSize);
                double sum = 0;
                long fixedSum = 0;
                for (int k = 0; k < axis.Taps; k++) { sum += axis.Weights[i * axis.Taps + k]; fixedSum += fixedW[i * axis.Taps + k]; }
                Assert.Equal(1.0, sum, 12);
                Assert.InRange(fixedSum, (1 << 22) - axis.Taps, (1 << 22) + axis.Taps);
            }
        }
    }

    [Fact]
    public void AntialiasWidensTheFilterByTheScale()
    {
        // PIL: support = filter support * max(scale, 1); taps = ceil(support) * 2 + 1.
        Assert.Equal(21, PreprocessAxis.Create(1000, 100, Interpolation.Bilinear, true).Taps);
        Assert.Equal(41, PreprocessAxis.Create(1000, 100, Interpolation.Bicubic, true).Taps);
        Assert.Equal(3, PreprocessAxis.Create(100, 1000, Interpolation.Bilinear, true).Taps);
        Assert.Equal(2, PreprocessAxis.Create(1000, 100, Interpolation.Bilinear, false).Taps);
        Assert.Equal(4, PreprocessAxis.Create(1000, 100, Interpolation.Bicubic, false).Taps);
    }

    [Fact]
    public void ImpossibleSizesAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Plan(PreprocessPresets.Torchvision, 0, 5));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Plan(PreprocessPresets.Torchvision, 1, 65535));
        Assert.Contains("beyond the 65535 pixel limit", e.Message);
    }
}
