// Where each output pixel of ONNX Resize samples its input, per axis: the coordinate transformation
// modes and nearest rounding modes of the ONNX Resize spec, evaluated on the host in double precision.
// The kernel only gathers/blends from the table this file builds, so the spec arithmetic lives in one
// place and ties at exactly .5 round as the spec says instead of as float32 happens to land.
namespace GpuSearch.Models.Ops;

/// <summary>ONNX Resize <c>mode</c> (cubic is not supported).</summary>
internal enum ResizeInterpolation
{
    /// <summary>Nearest neighbour.</summary>
    Nearest = 0,
    /// <summary>Linear (bilinear over H and W).</summary>
    Linear = 1,
}

/// <summary>ONNX Resize <c>coordinate_transformation_mode</c> (tf_crop_and_resize is not supported).</summary>
internal enum ResizeCoordinates
{
    /// <summary>(x + 0.5) / scale − 0.5 (the default from opset 11).</summary>
    HalfPixel,
    /// <summary>As half_pixel, but 0 when the output axis has length 1.</summary>
    PytorchHalfPixel,
    /// <summary>x · (in − 1) / (out − 1), 0 when out is 1.</summary>
    AlignCorners,
    /// <summary>x / scale (opset 10's only behaviour).</summary>
    Asymmetric,
    /// <summary>(x + 0.5) / scale (opsets 11–12).</summary>
    TfHalfPixelForNn,
    /// <summary>half_pixel re-centred so the sampled span is symmetric about the input centre (opset 19).</summary>
    HalfPixelSymmetric,
}

/// <summary>ONNX Resize <c>nearest_mode</c>, plus opset 10's implicit rule.</summary>
internal enum ResizeRounding
{
    /// <summary>Round to nearest, ties down (the default from opset 11).</summary>
    RoundPreferFloor,
    /// <summary>Round to nearest, ties up.</summary>
    RoundPreferCeil,
    /// <summary>Always down.</summary>
    Floor,
    /// <summary>Always up.</summary>
    Ceil,
    /// <summary>
    /// Opset 10 (and Upsample) name no rounding; floor when the axis is enlarged and ceil when it shrinks is
    /// what ONNX Runtime does for them, so models exported for it keep their meaning.
    /// </summary>
    Opset10,
}

/// <summary>Spec names and the per-axis sampling table of ONNX Resize.</summary>
internal static class ResizeCoordinateMath
{
    /// <summary>The <c>coordinate_transformation_mode</c> spelling of each supported mode.</summary>
    public static readonly IReadOnlyDictionary<string, ResizeCoordinates> CoordinateNames = new Dictionary<string, ResizeCoordinates>(StringComparer.Ordinal)
    {
        ["half_pixel"] = ResizeCoordinates.HalfPixel,
        ["pytorch_half_pixel"] = ResizeCoordinates.PytorchHalfPixel,
        ["align_corners"] = ResizeCoordinates.AlignCorners,
        ["asymmetric"] = ResizeCoordinates.Asymmetric,
        ["tf_half_pixel_for_nn"] = ResizeCoordinates.TfHalfPixelForNn,
        ["half_pixel_symmetric"] = ResizeCoordinates.HalfPixelSymmetric,
    };

    /// <summary>The <c>nearest_mode</c> spelling of each rounding mode.</summary>
    public static readonly IReadOnlyDictionary<string, ResizeRounding> RoundingNames = new Dictionary<string, ResizeRounding>(StringComparer.Ordinal)
    {
        ["round_prefer_floor"] = ResizeRounding.RoundPreferFloor,
        ["round_prefer_ceil"] = ResizeRounding.RoundPreferCeil,
        ["floor"] = ResizeRounding.Floor,
        ["ceil"] = ResizeRounding.Ceil,
    };

    /// <summary>The input coordinate output index <paramref name="x"/> maps to (may lie outside [0, in − 1]).</summary>
    /// <param name="mode">Transformation.</param>
    /// <param name="x">Output index.</param>
    /// <param name="scale">The axis scale: the given scale, or out / in when sizes were given.</param>
    /// <param name="inLen">Input length of the axis.</param>
    /// <param name="outLen">Output length of the axis (floor(in · scale) for scales).</param>
    public static double Source(ResizeCoordinates mode, int x, double scale, int inLen, int outLen)
    {
        // The spec's length_resized is in · scale before flooring (what align_corners divides by and
        // pytorch_half_pixel compares with 1); for sizes it is the size itself, which out / in · in can miss
        // by an ulp (1 / 49 · 49 < 1), so snap to it.
        double resized = scale * inLen;
        if (Math.Abs(resized - outLen) < 1e-9 * outLen) resized = outLen;
        return mode switch
        {
            ResizeCoordinates.HalfPixel => (x + 0.5) / scale - 0.5,
            ResizeCoordinates.PytorchHalfPixel => resized > 1 ? (x + 0.5) / scale - 0.5 : 0.0,
            ResizeCoordinates.AlignCorners => resized > 1 ? x * (inLen - 1) / (resized - 1) : 0.0,
            ResizeCoordinates.Asymmetric => x / scale,
            ResizeCoordinates.TfHalfPixelForNn => (x + 0.5) / scale,
            // Opset 19: the output covers out / scale input pixels, fewer than in when out was floored;
            // shifting by half the difference keeps the covered span centred on the input.
            ResizeCoordinates.HalfPixelSymmetric => inLen / 2.0 * (1 - outLen / resized) + (x + 0.5) / scale - 0.5,
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown coordinate transformation"),
        };
    }

    /// <summary>The input index nearest mode picks for source coordinate <paramref name="v"/>, clamped into the axis.</summary>
    public static int Nearest(ResizeRounding mode, double v, double scale, int inLen)
    {
        double f = Math.Floor(v);
        bool tie = v - f == 0.5;
        double r = mode switch
        {
            ResizeRounding.RoundPreferFloor => tie ? f : Math.Round(v),
            ResizeRounding.RoundPreferCeil => tie ? f + 1 : Math.Round(v),
            ResizeRounding.Floor => f,
            ResizeRounding.Ceil => Math.Ceiling(v),
            ResizeRounding.Opset10 => scale < 1 ? Math.Ceiling(v) : f,
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown nearest mode"),
        };
        return (int)Math.Clamp(r, 0, inLen - 1);
    }

    /// <summary>
    /// Appends the sampling table of one axis to <paramref name="table"/>: per output index (i0, i1, w) with
    /// value = (1 − w)·x[i0] + w·x[i1]. Nearest gives i1 = i0 and w = 0. Linear clamps the coordinate into the
    /// axis first, which is the spec's edge padding of the neighbours.
    /// </summary>
    public static void AppendAxis(List<float> table, ResizeInterpolation interp, ResizeCoordinates coords, ResizeRounding rounding,
        double scale, int inLen, int outLen)
    {
        for (int x = 0; x < outLen; x++)
        {
            double v = Source(coords, x, scale, inLen, outLen);
            if (interp == ResizeInterpolation.Nearest)
            {
                int i = Nearest(rounding, v, scale, inLen);
                table.Add(i); table.Add(i); table.Add(0f);
                continue;
            }
            double c = Math.Clamp(v, 0, inLen - 1);
            int i0 = (int)Math.Floor(c), i1 = Math.Min(i0 + 1, inLen - 1);
            table.Add(i0); table.Add(i1); table.Add((float)(c - i0));
        }
    }
}
