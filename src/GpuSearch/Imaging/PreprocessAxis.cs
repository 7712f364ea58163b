// Resampling weights for one axis, planned on the host in double precision once per (size, spec):
// for every output index a first source index, a tap count and normalized weights. The same tables
// drive the GPU kernels and the scalar reference. The formulas reproduce PIL's (and torchvision's
// antialiased) convolution resampling and torch's plain interpolate; they are facts, not copied code.
namespace GpuSearch.Imaging;

/// <summary>Per-output-index taps and weights of a 1-D resampling.</summary>
internal sealed class PreprocessAxis
{
    /// <summary>Fractional bits of PIL's fixed-point weights for 8-bit images (32 - 8 - 2).</summary>
    public const int FixedPointBits = 22;

    /// <summary>Source length (after any padding).</summary>
    public int InSize { get; }
    /// <summary>Output length.</summary>
    public int OutSize { get; }
    /// <summary>Stride of <see cref="Weights"/>: the largest tap count of any output index.</summary>
    public int Taps { get; }
    /// <summary>First source index of output <c>i</c>'s taps.</summary>
    public int[] Start { get; }
    /// <summary>Number of taps of output <c>i</c> (1..<see cref="Taps"/>).</summary>
    public int[] Count { get; }
    /// <summary>Weights, <c>[i * Taps + k]</c>; unused slots are 0. Each row sums to 1.</summary>
    public double[] Weights { get; }

    private PreprocessAxis(int inSize, int outSize, int taps)
    {
        InSize = inSize; OutSize = outSize; Taps = taps;
        Start = new int[outSize];
        Count = new int[outSize];
        Weights = new double[(long)outSize * taps];
    }

    /// <summary>Plans one axis of a resize from <paramref name="inSize"/> to <paramref name="outSize"/>.</summary>
    public static PreprocessAxis Create(int inSize, int outSize, Interpolation interpolation, bool antialias)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outSize, 1);
        return interpolation switch
        {
            Interpolation.Nearest => Nearest(inSize, outSize),
            Interpolation.Bilinear when antialias => Convolution(inSize, outSize, 1.0, Triangle),
            Interpolation.Bicubic when antialias => Convolution(inSize, outSize, 2.0, x => Cubic(x, -0.5)),
            Interpolation.Bilinear => Interpolate(inSize, outSize, cubic: false),
            Interpolation.Bicubic => Interpolate(inSize, outSize, cubic: true),
            _ => throw new ArgumentOutOfRangeException(nameof(interpolation), interpolation, "Unknown interpolation"),
        };
    }

    /// <summary>Weights as float (the float arithmetic path).</summary>
    public float[] FloatWeights() => Array.ConvertAll(Weights, w => (float)w);

    /// <summary>
    /// Weights in PIL's 8-bit fixed point: <c>w * 2^22</c> rounded half away from zero.
    /// </summary>
    public int[] FixedWeights() => Array.ConvertAll(Weights, w =>
        w < 0 ? (int)(-0.5 + w * (1 << FixedPointBits)) : (int)(0.5 + w * (1 << FixedPointBits)));

    /// <summary>(start, count) pairs interleaved, the layout the kernels read.</summary>
    public int[] Bounds()
    {
        var b = new int[OutSize * 2];
        for (int i = 0; i < OutSize; i++) { b[2 * i] = Start[i]; b[2 * i + 1] = Count[i]; }
        return b;
    }

    /// <summary>PIL's triangle filter, support 1.</summary>
    private static double Triangle(double x)
    {
        x = Math.Abs(x);
        return x < 1.0 ? 1.0 - x : 0.0;
    }

    /// <summary>Keys' cubic convolution kernel with parameter <paramref name="a"/>, support 2.</summary>
    private static double Cubic(double x, double a)
    {
        x = Math.Abs(x);
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
        if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
        return 0.0;
    }

    /// <summary>
    /// PIL's antialiased convolution: when shrinking, the filter is stretched by the scale so every source
    /// pixel contributes; taps outside the image are dropped and the rest renormalized (no edge clamping).
    /// </summary>
    private static PreprocessAxis Convolution(int inSize, int outSize, double filterSupport, Func<double, double> filter)
    {
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = filterSupport * filterScale;
        var axis = new PreprocessAxis(inSize, outSize, (int)Math.Ceiling(support) * 2 + 1);
        double inv = 1.0 / filterScale;
        for (int i = 0; i < outSize; i++)
        {
            double center = (i + 0.5) * scale;
            // (int) truncates toward zero like PIL's C cast; negatives then clamp to 0 either way.
            int lo = Math.Max((int)(center - support + 0.5), 0);
            int hi = Math.Min((int)(center + support + 0.5), inSize);
            int n = Math.Max(hi - lo, 1);
            if (lo + n > inSize) lo = inSize - n;
            double sum = 0;
            var row = axis.Weights.AsSpan(i * axis.Taps, axis.Taps);
            for (int k = 0; k < n; k++) sum += row[k] = filter((k + lo - center + 0.5) * inv);
            if (sum != 0) for (int k = 0; k < n; k++) row[k] /= sum;
            axis.Start[i] = lo;
            axis.Count[i] = n;
        }
        return axis;
    }

    /// <summary>
    /// torch's interpolate (align_corners=False, no antialias): source position <c>(i + 0.5) * scale - 0.5</c>;
    /// bilinear clamps it at 0 and takes 2 taps, bicubic (a = -0.75) takes 4 taps with indices clamped to the edge.
    /// </summary>
    private static PreprocessAxis Interpolate(int inSize, int outSize, bool cubic)
    {
        double scale = (double)inSize / outSize;
        var axis = new PreprocessAxis(inSize, outSize, cubic ? 4 : 2);
        Span<int> idx = stackalloc int[4];
        Span<double> w = stackalloc double[4];
        for (int i = 0; i < outSize; i++)
        {
            double src = (i + 0.5) * scale - 0.5;
            int taps;
            if (cubic)
            {
                int f = (int)Math.Floor(src);
                double t = src - f;
                const double a = -0.75;
                w[0] = Cubic(t + 1, a); w[1] = Cubic(t, a); w[2] = Cubic(1 - t, a); w[3] = Cubic(2 - t, a);
                for (int k = 0; k < 4; k++) idx[k] = Math.Clamp(f - 1 + k, 0, inSize - 1);
                taps = 4;
            }
            else
            {
                src = Math.Max(src, 0);
                int f = (int)src;
                double t = src - f;
                idx[0] = f; idx[1] = Math.Min(f + 1, inSize - 1);
                w[0] = 1 - t; w[1] = t;
                taps = 2;
            }
            // Clamped taps may repeat an index: fold them into one contiguous run starting at the first.
            int lo = idx[0], hi = idx[taps - 1];
            var row = axis.Weights.AsSpan(i * axis.Taps, axis.Taps);
            for (int k = 0; k < taps; k++) row[idx[k] - lo] += w[k];
            axis.Start[i] = lo;
            axis.Count[i] = hi - lo + 1;
        }
        return axis;
    }

    /// <summary>Nearest neighbour at pixel centres: <c>floor((i + 0.5) * in / out)</c>, clamped.</summary>
    private static PreprocessAxis Nearest(int inSize, int outSize)
    {
        double scale = (double)inSize / outSize;
        var axis = new PreprocessAxis(inSize, outSize, 1);
        for (int i = 0; i < outSize; i++)
        {
            axis.Start[i] = Math.Min((int)Math.Floor((i + 0.5) * scale), inSize - 1);
            axis.Count[i] = 1;
            axis.Weights[i] = 1;
        }
        return axis;
    }
}
