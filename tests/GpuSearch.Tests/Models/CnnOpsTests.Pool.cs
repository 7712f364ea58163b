// Pool and elementwise cases of the CNN op suite: windowed and global pools, numpy-broadcast binary
// ops and the unary activations.
using GpuSearch.Compute;
using GpuSearch.Models.Ops;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Models;

public sealed partial class CnnOpsTests
{
    private static readonly Dictionary<string, Pool2dShape> PoolShapes = new()
    {
        ["k3s2p1"] = new(2, 3, 11, 9, 3, 3, 2, 2, 1, 1, 1, 1),
        ["k2s2"] = new(1, 4, 8, 7, 2, 2, 2, 2),
        ["k3s2-ceil"] = new(1, 2, 10, 11, 3, 3, 2, 2, CeilMode: true),
        ["k3s2p1-ceil"] = new(1, 2, 9, 12, 3, 3, 2, 2, 1, 1, 1, 1, CeilMode: true),
        ["k3s1-asym"] = new(1, 3, 7, 6, 3, 2, 1, 1, 0, 1, 2, 0),
        ["k5s3-pad2"] = new(2, 2, 13, 13, 5, 5, 3, 3, 2, 2, 2, 2),
        ["k3s1-dil2"] = new(1, 2, 9, 10, 3, 3, 1, 1, 1, 1, 1, 1, 2, 2),
        // Wide enough for the CPU plane kernel's vector stride-2 split (32 floats per read) and a partial last chunk.
        ["k3s2p1-wide"] = new(2, 3, 20, 75, 3, 3, 2, 2, 1, 1, 1, 1),
        ["k3s2p1-wide-ceil"] = new(1, 2, 21, 74, 3, 3, 2, 2, 1, 1, 1, 1, CeilMode: true),
        ["k2x3s3-asym-wide"] = new(2, 2, 16, 53, 2, 3, 3, 3, 0, 2, 1, 0, CeilMode: true),
        ["k2x3s3-dil2-wide"] = new(1, 2, 15, 50, 2, 3, 3, 3, 0, 1, 1, 0, 2, 2),
        // Taller than the plane kernel's 8-row strips: two whole strips and a partial one; dilated taps across strips.
        ["k3s2p1-tall"] = new(1, 2, 37, 40, 3, 3, 2, 2, 1, 1, 1, 1),
        ["k3s1-dil2-tall"] = new(1, 2, 30, 40, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2),
        // Padded plane past the plane kernel's local tile: the per-output kernel on every device.
        ["k3s1p1-big"] = new(1, 1, 200, 200, 3, 3, 1, 1, 1, 1, 1, 1),
    };

    private static readonly (int[] A, int[] B)[] BroadcastPairs =
    [
        ([2, 3, 4, 5], [2, 3, 4, 5]), ([2, 3, 4, 5], [1]), ([2, 3, 4, 5], [5]), ([2, 3, 4, 5], [3, 1, 1]),
        ([1, 3, 1, 5], [2, 1, 4, 1]), ([7], [3, 1]), ([2, 1, 3, 1, 2, 3], [1, 2, 1, 2, 1, 3]), ([1], [4, 3]), ([3, 7, 1], [3, 1, 1]),
    ];

    private static IEnumerable<string> PoolCases()
    {
        foreach (var s in PoolShapes.Keys)
        {
            yield return $"pool max {s}";
            if (!s.Contains("dil")) { yield return $"pool avg {s}"; yield return $"pool avg-incl {s}"; }
        }
        // The per-output kernel on CPUs too (GPUs always run it).
        foreach (var s in new[] { "k3s2p1", "k3s2p1-ceil", "k3s1-dil2", "k3s2p1-wide" })
        {
            yield return $"pool max {s} px";
            if (!s.Contains("dil")) yield return $"pool avg-incl {s} px";
        }
        foreach (var hw in new[] { "1x1", "7x7", "13x17" }) { yield return $"pool gmax {hw}"; yield return $"pool gavg {hw}"; }
    }

    private static IEnumerable<string> EltwiseCases()
    {
        foreach (var op in Enum.GetValues<BroadcastOp>())
            for (int i = 0; i < BroadcastPairs.Length; i++) yield return $"binary {op} {i}";
        yield return "binary Pow int-exponent";
        foreach (var a in Enum.GetValues<ActivationKind>()) yield return $"unary {a}";
    }

    private static void RunPool(ComputeDevice d, string name)
    {
        var p = name.Split(' ');
        if (p[1] is "gmax" or "gavg")
        {
            var hw = p[2].Split('x').Select(int.Parse).ToArray();
            int planes = 6, size = hw[0] * hw[1];
            var gx = Random(Seed(name), (long)planes * size);
            using var gb = Upload(d, gx);
            using var gy = new GuardedBuffer(d, planes);
            Pool2d.Global(d.Stream, p[1] == "gmax", new DeviceTensor(gb, 0, [2, 3, hw[0], hw[1]]), gy.View(2, 3, 1, 1));
            var want = new double[planes];
            for (int i = 0; i < planes; i++)
            {
                var plane = gx.Skip(i * size).Take(size).Select(v => (double)v);
                want[i] = p[1] == "gmax" ? plane.Max() : plane.Sum() / size;
            }
            AssertClose(want, gy.DownloadPayload<float>(d.Stream), 1e-6, 1e-6, name);
            return;
        }
        var s = PoolShapes[p[2]];
        bool max = p[1] == "max", incl = p[1] == "avg-incl";
        var x = Random(Seed(name), (long)s.Batch * s.Channels * s.Height * s.Width, -5f, 5f);
        using var xb = Upload(d, x);
        using var y = new GuardedBuffer(d, (long)s.Batch * s.Channels * s.OutHeight * s.OutWidth);
        var xv = new DeviceTensor(xb, 0, [s.Batch, s.Channels, s.Height, s.Width]);
        var yv = y.View(s.Batch, s.Channels, s.OutHeight, s.OutWidth);
        bool planeKernel = p.Length < 4;
        if (max) Pool2d.Max(d.Stream, s, xv, yv, planeKernel);
        else Pool2d.Average(d.Stream, s, xv, yv, incl, planeKernel);
        AssertClose(CnnReference.Pool(s, x, max, incl), y.DownloadPayload<float>(d.Stream), 1e-6, 1e-6, name);
    }

    private static void RunEltwise(ComputeDevice d, string name)
    {
        var p = name.Split(' ');
        if (p[0] == "unary")
        {
            var kind = Enum.Parse<ActivationKind>(p[1]);
            var act = ActFor(kind);
            bool positive = kind is ActivationKind.Sqrt or ActivationKind.Log or ActivationKind.Reciprocal;
            foreach (var n in new[] { 1, 1000 })
            {
                var x = Random(Seed(name) + n, n, positive ? 0.01f : -8f, 8f);
                using var xb = Upload(d, x);
                using var y = new GuardedBuffer(d, n);
                Broadcast.Unary(d.Stream, act, DeviceTensor.Flat(xb, 0, n), DeviceTensor.Flat(y.Buffer, y.Offset, n));
                var want = x.Select(v => CnnReference.Act(act, v)).ToArray();
                // OpenCL allows exp/erf/tanh/pow a few ulp; erf near 0 and gelu near 0 are absolute.
                // The tanh form of Gelu cancels to ~|x|·ulp for very negative x.
                var atol = kind == ActivationKind.GeluTanh ? 1e-6 : 1e-7;
                AssertClose(want, y.DownloadPayload<float>(d.Stream), 4e-6, atol, $"{name} n={n}");
            }
            return;
        }
        var op = Enum.Parse<BroadcastOp>(p[1]);
        int[] aShape, bShape;
        float[] a, b;
        if (p[2] == "int-exponent")
        {
            aShape = [4, 5]; bShape = [5];
            a = Random(Seed(name), 20, -3f, 3f);
            b = [2f, 3f, -1f, 0f, 5f];
        }
        else
        {
            (aShape, bShape) = BroadcastPairs[int.Parse(p[2])];
            a = Random(Seed(name), Elements(aShape), op == BroadcastOp.Pow ? 0.1f : -2f, 2f);
            b = Random(Seed(name) + 1, Elements(bShape), -2f, 2f);
            if (op == BroadcastOp.Div) for (int i = 0; i < b.Length; i++) b[i] += b[i] >= 0 ? 0.5f : -0.5f;
        }
        var outShape = Broadcast.OutputShape(aShape, bShape);
        long n2 = Elements(outShape);
        using var ab = Upload(d, a);
        using var bb = Upload(d, b);
        using var yb = new GuardedBuffer(d, n2);
        Broadcast.Binary(d.Stream, op, new DeviceTensor(ab, 0, aShape), new DeviceTensor(bb, 0, bShape), new DeviceTensor(yb.Buffer, yb.Offset, outShape));
        var want2 = new double[n2];
        for (long i = 0; i < n2; i++)
        {
            var idx = CnnReference.Unravel(i, outShape);
            want2[i] = CnnReference.Binary(op, a[CnnReference.RavelBroadcast(idx, aShape)], b[CnnReference.RavelBroadcast(idx, bShape)]);
        }
        AssertClose(want2, yb.DownloadPayload<float>(d.Stream), op == BroadcastOp.Pow ? 8e-7 : 3e-7, 0, name);
    }

    private static long Elements(int[] shape) => shape.Aggregate(1L, (x, v) => x * v);
}
