// Layout and matrix-product cases of the CNN op suite: Transpose, Slice, Concat, Pad, Expand,
// ONNX Gemm (broadcast C, alpha, beta, transposes) and numpy-broadcast batched MatMul (on a CPU a full batch on both
// sides is one linear.cl launch over the batch: 3x2x37x30*3x2x30x70 has rows and columns that are no tile multiple).
using GpuSearch.Compute;
using GpuSearch.Models.Ops;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Models;

public sealed partial class CnnOpsTests
{
    private static readonly int[][] Perms = [[0, 1, 2, 3], [0, 2, 3, 1], [3, 2, 1, 0], [1, 0, 3, 2]];

    private static IEnumerable<string> LayoutCases()
    {
        for (int i = 0; i < Perms.Length; i++) yield return $"transpose 4d {i}";
        yield return "transpose 6d 0";
        yield return "slice steps 0";
        yield return "slice negative 0";
        yield return "slice rows 0"; // 24 contiguous runs along the last axis: CPUs copy them run by run
        yield return "slice leading 0"; // one contiguous run (as Gather of a leading index): on CPUs the device's memcpy
        yield return "concat axis 0";
        yield return "concat axis 1";
        yield return "concat axis 3";
        foreach (var m in Enum.GetValues<PadMode>()) { yield return $"pad {m} grow"; yield return $"pad {m} crop"; }
        yield return "pad Constant none"; // nothing to pad: a copy (on CPUs the device's memcpy)
        yield return "expand 3x1x5 0";
    }

    private static IEnumerable<string> MatMulCases()
    {
        foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
            foreach (var c in new[] { "none", "row", "col", "full", "scalar" }) yield return $"gemm {(ta ? 'T' : 'N')}{(tb ? 'T' : 'N')} {c}";
        foreach (var c in new[] { "2x3x4*4x5", "2x1x3x4*5x4x6", "4*4x3", "3x4*4", "2x3x4*2x4x5", "3x2x37x30*3x2x30x70" }) yield return $"matmul {c}";
    }

    private static void RunLayout(ComputeDevice d, string name)
    {
        var p = name.Split(' ');
        int seed = Seed(name);
        int[] shape = p[0] == "transpose" && p[1] == "6d" ? [2, 3, 1, 2, 3, 2] : [2, 3, 4, 5];
        var x = Random(seed, Elements(shape));
        var strides = new long[shape.Length];
        for (int i = shape.Length - 1, acc = 1; i >= 0; acc *= shape[i], i--) strides[i] = acc;
        long At(int[] idx) { long o = 0; for (int i = 0; i < idx.Length; i++) o += idx[i] * strides[i]; return o; }
        using var xb = Upload(d, x);
        switch (p[0])
        {
            case "transpose":
            {
                int[] perm = p[1] == "6d" ? [5, 0, 3, 1, 4, 2] : Perms[int.Parse(p[2])];
                var outShape = perm.Select(a => shape[a]).ToArray();
                using var y = new GuardedBuffer(d, x.Length);
                Layout.Transpose(d.Stream, perm, new DeviceTensor(xb, 0, shape), y.View(outShape));
                var want = new double[x.Length];
                for (long i = 0; i < x.Length; i++)
                {
                    var oi = CnnReference.Unravel(i, outShape);
                    var ii = new int[shape.Length];
                    for (int a = 0; a < perm.Length; a++) ii[perm[a]] = oi[a];
                    want[i] = x[At(ii)];
                }
                AssertClose(want, y.DownloadPayload<float>(d.Stream), 0, 0, name);
                break;
            }
            case "slice":
            {
                int[] starts = p[1] switch { "steps" => [0, 1, 0, 1], "rows" => [0, 0, 0, 1], "leading" => [1, 0, 0, 0], _ => [1, 2, 3, 4] };
                int[] steps = p[1] switch { "steps" => [1, 1, 2, 3], "rows" or "leading" => [1, 1, 1, 1], _ => [-1, -2, -1, -2] };
                int[] counts = p[1] switch { "steps" => [2, 2, 2, 2], "rows" => [2, 3, 4, 3], "leading" => [1, 3, 4, 5], _ => [2, 2, 3, 3] };
                using var y = new GuardedBuffer(d, Elements(counts));
                Layout.Slice(d.Stream, starts, steps, new DeviceTensor(xb, 0, shape), y.View(counts));
                var want = new double[Elements(counts)];
                for (long i = 0; i < want.Length; i++)
                {
                    var oi = CnnReference.Unravel(i, counts);
                    want[i] = x[At(oi.Select((v, a) => starts[a] + v * steps[a]).ToArray())];
                }
                AssertClose(want, y.DownloadPayload<float>(d.Stream), 0, 0, name);
                break;
            }
            case "concat":
            {
                int axis = int.Parse(p[2]);
                var second = (int[])shape.Clone();
                second[axis] = 3;
                var x2 = Random(seed + 1, Elements(second));
                using var x2b = Upload(d, x2);
                var outShape = (int[])shape.Clone();
                outShape[axis] += 3;
                using var y = new GuardedBuffer(d, Elements(outShape));
                Layout.Concat(d.Stream, axis, [new DeviceTensor(xb, 0, shape), new DeviceTensor(x2b, 0, second)], y.View(outShape));
                var want = new double[Elements(outShape)];
                for (long i = 0; i < want.Length; i++)
                {
                    var oi = CnnReference.Unravel(i, outShape);
                    if (oi[axis] < shape[axis]) want[i] = x[At(oi)];
                    else { oi[axis] -= shape[axis]; want[i] = x2[CnnReference.RavelBroadcast(oi, second)]; }
                }
                AssertClose(want, y.DownloadPayload<float>(d.Stream), 0, 0, name);
                break;
            }
            case "pad":
            {
                var mode = Enum.Parse<PadMode>(p[1]);
                int[] begin = p[2] switch { "grow" => [0, 1, 2, 3], "none" => [0, 0, 0, 0], _ => [0, -1, 1, 2] };
                int[] end = p[2] switch { "grow" => [1, 0, 3, 2], "none" => [0, 0, 0, 0], _ => [0, 1, -2, 4] };
                var outShape = shape.Select((v, i) => v + begin[i] + end[i]).ToArray();
                using var y = new GuardedBuffer(d, Elements(outShape));
                Pad.Run(d.Stream, mode, begin, end, 2.5f, new DeviceTensor(xb, 0, shape), y.View(outShape));
                var want = new double[Elements(outShape)];
                for (long i = 0; i < want.Length; i++)
                {
                    var oi = CnnReference.Unravel(i, outShape);
                    var ii = new int[shape.Length];
                    bool outside = false;
                    for (int a = 0; a < shape.Length; a++)
                    {
                        int v = oi[a] - begin[a], n = shape[a];
                        if (v < 0 || v >= n)
                        {
                            outside = true;
                            v = mode == PadMode.Edge ? Math.Clamp(v, 0, n - 1) : v < 0 ? -v : 2 * (n - 1) - v; // reflect: mirror about the edges
                        }
                        ii[a] = v;
                    }
                    want[i] = outside && mode == PadMode.Constant ? 2.5 : x[At(ii)];
                }
                AssertClose(want, y.DownloadPayload<float>(d.Stream), 0, 0, name);
                break;
            }
            case "expand":
            {
                int[] small = [3, 1, 5], big = [2, 3, 4, 5];
                var xs = Random(seed + 2, 15);
                using var xsb = Upload(d, xs);
                using var y = new GuardedBuffer(d, Elements(big));
                Layout.Expand(d.Stream, new DeviceTensor(xsb, 0, small), y.View(big));
                var want = new double[Elements(big)];
                for (long i = 0; i < want.Length; i++) want[i] = xs[CnnReference.RavelBroadcast(CnnReference.Unravel(i, big), small)];
                AssertClose(want, y.DownloadPayload<float>(d.Stream), 0, 0, name);
                break;
            }
        }
    }

    private static void RunMatMul(ComputeDevice d, string name)
    {
        var p = name.Split(' ');
        int seed = Seed(name);
        if (p[0] == "gemm")
        {
            int m = 13, n = 7, k = 19;
            bool ta = p[1][0] == 'T', tb = p[1][1] == 'T';
            var a = Random(seed, m * k);
            var b = Random(seed + 1, k * n);
            int[]? cShape = p[2] switch { "row" => [n], "col" => [m, 1], "full" => [m, n], "scalar" => [1], _ => null };
            var c = cShape is null ? [] : Random(seed + 2, Elements(cShape));
            using var ab = Upload(d, a);
            using var bb = Upload(d, b);
            using var cb = Upload(d, c);
            using var y = new GuardedBuffer(d, m * n);
            MatMul.Gemm(d.Stream, m, n, k, ta, tb, 0.7f, 1.3f, ab, 0, bb, 0, cShape is null ? null : (cShape, cb, 0L), y.Buffer, y.Offset);
            var want = new double[m * n];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double acc = 0;
                    for (int q = 0; q < k; q++) acc += (double)a[ta ? q * m + i : i * k + q] * b[tb ? j * k + q : q * n + j];
                    want[i * n + j] = 0.7 * acc + (cShape is null ? 0 : 1.3 * c[CnnReference.RavelBroadcast([i, j], cShape)]);
                }
            AssertClose(want, y.DownloadPayload<float>(d.Stream), 1e-5, 1e-5, name);
            return;
        }
        var parts = p[1].Split('*').Select(s => s.Split('x').Select(int.Parse).ToArray()).ToArray();
        int[] sa = parts[0], sb2 = parts[1];
        var av = Random(seed, Elements(sa));
        var bv = Random(seed + 1, Elements(sb2));
        var outShape = MatMul.OutputShape(sa, sb2);
        using var a2 = Upload(d, av);
        using var b2 = Upload(d, bv);
        using var y2 = new GuardedBuffer(d, Elements(outShape));
        MatMul.Run(d.Stream, sa, a2, 0, sb2, b2, 0, y2.Buffer, y2.Offset);
        // Reference: promote 1-D operands, broadcast batch dims, plain triple loop.
        var pa = sa.Length == 1 ? [1, sa[0]] : sa;
        var pb = sb2.Length == 1 ? [sb2[0], 1] : sb2;
        int mm = pa[^2], kk = pa[^1], nn = pb[^1];
        var batch = Broadcast.OutputShape(pa[..^2], pb[..^2]);
        var want2 = new double[Elements(batch) * mm * nn];
        for (long t = 0; t < Elements(batch); t++)
        {
            var bi = CnnReference.Unravel(t, batch);
            long ao = CnnReference.RavelBroadcast(bi, pa[..^2]) * mm * kk, bo = CnnReference.RavelBroadcast(bi, pb[..^2]) * kk * nn;
            for (int i = 0; i < mm; i++)
                for (int j = 0; j < nn; j++)
                {
                    double acc = 0;
                    for (int q = 0; q < kk; q++) acc += (double)av[ao + i * kk + q] * bv[bo + q * nn + j];
                    want2[(t * mm + i) * nn + j] = acc;
                }
        }
        AssertClose(want2, y2.DownloadPayload<float>(d.Stream), 1e-5, 1e-5, name);
    }
}
