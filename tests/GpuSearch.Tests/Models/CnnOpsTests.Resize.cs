// Resize cases of the CNN op suite (kernels/resize.cl): every interpolation × coordinate transformation ×
// nearest rounding on up-, down- and mixed-scaled shapes, on every device, against a per-pixel scalar
// reference written straight from the ONNX spec formulas (not through ResizeCoordinateMath), with guard
// regions around input and output.
using GpuSearch.Compute;
using GpuSearch.Models.Ops;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Models;

public sealed partial class CnnOpsTests
{
    // (N, C, H, W, OH, OW, scaleH, scaleW): the scale is the one the coordinate transform sees.
    private static readonly Dictionary<string, (int N, int C, int H, int W, int OH, int OW, double SH, double SW)> ResizeShapes = new()
    {
        ["up2x3"] = (2, 3, 5, 4, 10, 12, 2, 3),
        ["down0.6"] = (1, 2, 9, 11, 5, 6, 0.6f, 0.6f),
        ["up1.7-down0.45"] = (1, 3, 7, 13, 11, 5, 1.7f, 0.45f),
        ["sizes-to-1x9"] = (2, 2, 6, 4, 1, 9, 1 / 6.0, 9 / 4.0),
    };

    private static readonly string[] ResizeCoords = ["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn", "half_pixel_symmetric"];
    private static readonly string[] ResizeRoundings = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil", "opset10"];

    private static IEnumerable<string> ResizeCases()
    {
        foreach (var s in ResizeShapes.Keys)
            foreach (var c in ResizeCoords)
            {
                yield return $"resize linear {c} - {s}";
                foreach (var r in ResizeRoundings) yield return $"resize nearest {c} {r} {s}";
            }
    }

    private static void RunResize(ComputeDevice d, string name)
    {
        var p = name.Split(' ')[1..];
        var (n, c, h, w, oh, ow, sh, sw) = ResizeShapes[p[3]];
        var shape = new Resize2dShape(n, c, h, w, oh, ow, sh, sw,
            p[0] == "linear" ? ResizeInterpolation.Linear : ResizeInterpolation.Nearest,
            ResizeCoordinateMath.CoordinateNames[p[1]],
            p[2] switch { "-" => ResizeRounding.RoundPreferFloor, "opset10" => ResizeRounding.Opset10, var r => ResizeCoordinateMath.RoundingNames[r] });
        var x = Random(Seed(name), (long)n * c * h * w, -3f, 3f);
        using var xb = new GuardedBuffer(d, x.Length);
        xb.Upload<float>(d.Stream, x);
        var table = Resize2d.Table(shape);
        using var tb = new GuardedBuffer(d, table.Length);
        tb.Upload<float>(d.Stream, table);
        using var yb = new GuardedBuffer(d, (long)n * c * oh * ow);
        Resize2d.Run(d.Stream, shape, xb.View(n, c, h, w), tb.View(table.Length), yb.View(n, c, oh, ow));
        var want = ResizeReference(x, n * c, h, w, oh, ow, sh, sw, p[0], p[1], p[2]);
        // Nearest copies exactly; linear is a handful of float multiply-adds.
        AssertClose(want, yb.DownloadPayload<float>(d.Stream), p[0] == "nearest" ? 0 : 1e-6, p[0] == "nearest" ? 0 : 1e-6, name);
    }

    /// <summary>Per output pixel, straight from the ONNX Resize operator description.</summary>
    internal static double[] ResizeReference(float[] x, int planes, int h, int w, int oh, int ow, double sh, double sw,
        string mode, string coord, string rounding)
    {
        var y = new double[(long)planes * oh * ow];
        for (int pl = 0; pl < planes; pl++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    double si = ResizeOriginal(coord, i, sh, h, oh), sj = ResizeOriginal(coord, j, sw, w, ow);
                    double v;
                    if (mode == "nearest")
                        v = x[((long)pl * h + ResizePick(rounding, si, sh, h)) * w + ResizePick(rounding, sj, sw, w)];
                    else
                    {
                        // Linear: the two neighbours of the coordinate, out-of-range neighbours edge-padded.
                        int i0 = (int)Math.Floor(si), j0 = (int)Math.Floor(sj);
                        double fi = si - i0, fj = sj - j0;
                        double At(int r, int c) => x[((long)pl * h + Math.Clamp(r, 0, h - 1)) * w + Math.Clamp(c, 0, w - 1)];
                        v = (1 - fi) * ((1 - fj) * At(i0, j0) + fj * At(i0, j0 + 1)) + fi * ((1 - fj) * At(i0 + 1, j0) + fj * At(i0 + 1, j0 + 1));
                    }
                    y[((long)pl * oh + i) * ow + j] = v;
                }
        return y;
    }

    // The spec's length_resized is lenIn · scale, unfloored (the test scales make it exact for sizes).
    private static double ResizeOriginal(string coord, int xr, double scale, int lenIn, int lenOut) => coord switch
    {
        "half_pixel" => (xr + 0.5) / scale - 0.5,
        "pytorch_half_pixel" => lenIn * scale > 1 ? (xr + 0.5) / scale - 0.5 : 0,
        "align_corners" => lenIn * scale > 1 ? xr * (lenIn - 1) / (lenIn * scale - 1) : 0,
        "asymmetric" => xr / scale,
        "tf_half_pixel_for_nn" => (xr + 0.5) / scale,
        "half_pixel_symmetric" => lenIn / 2.0 * (1 - lenOut / (scale * lenIn)) + (xr + 0.5) / scale - 0.5,
        _ => throw new ArgumentException(coord),
    };

    private static int ResizePick(string rounding, double v, double scale, int len)
    {
        double r = rounding switch
        {
            "round_prefer_floor" => v - Math.Floor(v) == 0.5 ? Math.Floor(v) : Math.Round(v),
            "round_prefer_ceil" => v - Math.Floor(v) == 0.5 ? Math.Ceiling(v) : Math.Round(v),
            "floor" => Math.Floor(v),
            "ceil" => Math.Ceiling(v),
            "opset10" => scale < 1 ? Math.Ceiling(v) : Math.Floor(v),
            _ => throw new ArgumentException(rounding),
        };
        return (int)Math.Clamp(r, 0, len - 1);
    }
}
