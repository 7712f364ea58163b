// Plain scalar C# preprocessing, the oracle the GPU kernels are tested against. It deliberately walks the
// whole image in the most direct order (pad, horizontal pass, vertical pass, crop, normalize) rather than
// the GPU's windowed passes, so both the arithmetic and the window bookkeeping get checked.
namespace GpuSearch.Imaging;

/// <summary>Scalar reference implementation of <see cref="PreprocessSpec"/>.</summary>
internal static class PreprocessReference
{
    /// <summary>
    /// Preprocesses one RGB8 interleaved image (rows of <c>3 * width</c> bytes, no padding) and returns the CHW
    /// tensor as floats; with <see cref="TensorDType.Fp16"/> each value is rounded through <see cref="Half"/>.
    /// With <see cref="PreprocessSpec.Trim"/>, the content box is found by the scalar <see cref="MarginTrim.Find"/> and
    /// only that part of the image is preprocessed.
    /// </summary>
    public static float[] Run(PreprocessSpec spec, ReadOnlySpan<byte> rgb, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Trim is not { } trim) return Run(new PreprocessPlan(spec, width, height), rgb);
        var box = MarginTrim.Find(trim, rgb, width, height);
        return Run(new PreprocessPlan(spec, box.Width, box.Height), MarginTrim.Crop(rgb, width, box));
    }

    /// <summary>Same, with a precomputed plan for the exact pixels given (no trimming: the plan's source size is what is read).</summary>
    /// <exception cref="ArgumentException"><paramref name="rgb"/> is not <c>3 * width * height</c> bytes.</exception>
    public static float[] Run(PreprocessPlan plan, ReadOnlySpan<byte> rgb)
    {
        ArgumentNullException.ThrowIfNull(plan);
        int w = plan.SourceWidth, h = plan.SourceHeight;
        if (rgb.Length != 3L * w * h)
            throw new ArgumentException($"Expected {3L * w * h} bytes of RGB8 for {w}x{h}, got {rgb.Length}", nameof(rgb));
        bool u8 = plan.Spec.Resize?.Arithmetic != ResampleArithmetic.Float;

        // Pad: the padded source as floats (exact small integers).
        int pw = plan.PaddedWidth, ph = plan.PaddedHeight;
        var padded = new float[3L * pw * ph];
        for (int y = 0; y < ph; y++)
            for (int x = 0; x < pw; x++)
            {
                int sx = x - plan.PadLeft, sy = y - plan.PadTop;
                bool inside = sx >= 0 && sx < w && sy >= 0 && sy < h;
                for (int c = 0; c < 3; c++)
                    padded[(y * pw + x) * 3 + c] = inside ? rgb[(sy * w + sx) * 3 + c] : plan.Fill[c];
            }

        int rw = plan.ResizedWidth, rh = plan.ResizedHeight;
        var horizontal = Pass(padded, ph, pw, plan.Horizontal, u8, alongRows: true);   // ph × rw
        var resized = Pass(horizontal, rh, rw, plan.Vertical, u8, alongRows: false);   // rh × rw

        int ow = plan.OutputWidth, oh = plan.OutputHeight;
        var output = new float[plan.OutputElements];
        bool half = plan.Spec.DType == TensorDType.Fp16;
        for (int c = 0; c < 3; c++)
        {
            int sc = plan.SourceChannel[c];
            for (int y = 0; y < oh; y++)
                for (int x = 0; x < ow; x++)
                {
                    int rx = x + plan.OffsetX, ry = y + plan.OffsetY;
                    float v = rx >= 0 && rx < rw && ry >= 0 && ry < rh ? resized[(ry * rw + rx) * 3 + sc] : plan.Fill[sc];
                    float o = MathF.FusedMultiplyAdd(v, plan.Multiplier[c], plan.Bias[c]);
                    output[((long)c * oh + y) * ow + x] = half ? (float)(Half)o : o;
                }
        }
        return output;
    }

    /// <summary>
    /// One separable pass. <paramref name="alongRows"/>: resample each row of a <paramref name="lines"/> ×
    /// axis.InSize image to axis.OutSize columns; otherwise resample columns from axis.InSize rows to
    /// <paramref name="lines"/> (= axis.OutSize) rows of <paramref name="width"/> pixels.
    /// </summary>
    private static float[] Pass(float[] src, int lines, int width, PreprocessAxis axis, bool u8, bool alongRows)
    {
        int outW = alongRows ? axis.OutSize : width;
        int outH = alongRows ? lines : axis.OutSize;
        int inW = alongRows ? axis.InSize : width;
        var dst = new float[3L * outW * outH];
        var fw = axis.FloatWeights();
        var iw = axis.FixedWeights();
        for (int y = 0; y < outH; y++)
            for (int x = 0; x < outW; x++)
            {
                int i = alongRows ? x : y;
                int start = axis.Start[i], count = axis.Count[i];
                for (int c = 0; c < 3; c++)
                {
                    float facc = 0;
                    int iacc = 1 << (PreprocessAxis.FixedPointBits - 1);
                    for (int k = 0; k < count; k++)
                    {
                        int sx = alongRows ? start + k : x, sy = alongRows ? y : start + k;
                        float p = src[((long)sy * inW + sx) * 3 + c];
                        facc += fw[i * axis.Taps + k] * p;
                        iacc += iw[i * axis.Taps + k] * (int)p;
                    }
                    dst[((long)y * outW + x) * 3 + c] = u8 ? Math.Clamp(iacc >> PreprocessAxis.FixedPointBits, 0, 255) : facc;
                }
            }
        return dst;
    }
}
