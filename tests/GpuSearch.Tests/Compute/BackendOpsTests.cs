// Backend-ops suite (ggml's test-backend-ops idea): every foundation kernel on every device against a
// scalar C# reference, with guard regions around outputs, sizes that are not tile multiples and fixed
// seeds. Each (device, case) is its own test, so the log lists kernel names and counts.
using GpuSearch.Compute;
using GpuSearch.Compute.Ops;
using GpuSearch.Models.Ops;
using GpuSearch.Tests.Models;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Compute;

public sealed class BackendOpsTests
{
    private static readonly long[] Lengths = [1, 7, 33, 1000, 100_003];
    private static readonly (int Rows, int Cols)[] ReduceShapes = [(1, 1), (7, 33), (33, 1000), (3, 100_003)];
    private static readonly (int M, int N, int K)[] GemmShapes = [(1, 1, 1), (7, 33, 1), (33, 7, 1000), (65, 129, 17), (100, 1, 300)];

    /// <summary>The activations checked here as plain unary ops (CnnOpsTests checks every activation on the model path).</summary>
    private static readonly ActivationKind[] UnaryKinds =
        [ActivationKind.None, ActivationKind.Relu, ActivationKind.Sigmoid, ActivationKind.Tanh, ActivationKind.Sqrt, ActivationKind.Exp, ActivationKind.Neg, ActivationKind.Abs];

    /// <summary>All case names; the theory data crosses them with the devices.</summary>
    public static IEnumerable<string> CaseNames()
    {
        foreach (var op in UnaryKinds) yield return $"unary {op}";
        foreach (var op in Enum.GetValues<BroadcastOp>().Where(o => o != BroadcastOp.Pow)) yield return $"binary {op}";
        yield return "axpby";
        yield return "cast f32->f16->f32";
        foreach (var op in Enum.GetValues<AxisReduceOp>()) yield return $"reduce {op}";
        foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false), (true, true) })
            yield return $"gemm {(ta ? "T" : "N")}{(tb ? "T" : "N")}";
        yield return "gemm NN beta=0.5 small tiles";
    }

    public static TheoryData<string, string> OpenClCases() => OpCases.For(Devices.OpenClIds, CaseNames());

    public static TheoryData<string, string> CudaCases() => OpCases.For(Devices.CudaIds, CaseNames());

    [Fact]
    public void OpenClDeviceIsPresent()
    {
        // CI must exercise the kernels on PoCL for real: a run with no OpenCL device is a failure, not a skip.
        var reason = DeviceRegistry.Default.Backends.First(b => b.Backend == ComputeBackend.OpenCL).UnavailableReason;
        Assert.True(Devices.OpenClIds.Count > 0, $"No OpenCL device found ({reason}). Install pocl-opencl-icd (scripts/setup.sh).");
    }

    [Theory]
    [MemberData(nameof(OpenClCases))]
    [Trait("Backend", "OpenCL")]
    public void OpenCl(string device, string op) => Run(Devices.Get(device), op);

    [CudaTheory]
    [MemberData(nameof(CudaCases))]
    [Trait("Backend", "CUDA")]
    public void Cuda(string device, string op) => Run(Devices.Get(device), op);

    private static void Run(ComputeDevice device, string op)
    {
        var parts = op.Split(' ');
        switch (parts[0])
        {
            case "unary": foreach (var n in Lengths) CheckUnary(device, Enum.Parse<ActivationKind>(parts[1]), n); break;
            case "binary": foreach (var n in Lengths) CheckBinary(device, Enum.Parse<BroadcastOp>(parts[1]), n); break;
            case "axpby": foreach (var n in Lengths) CheckAxpby(device, n); break;
            case "cast": foreach (var n in Lengths) CheckCast(device, n); break;
            case "reduce": foreach (var (r, c) in ReduceShapes) CheckReduce(device, Enum.Parse<AxisReduceOp>(parts[1]), r, c); break;
            case "gemm":
                var small = op.Contains("small tiles");
                foreach (var (m, n, k) in GemmShapes)
                    CheckGemm(device, m, n, k, parts[1][0] == 'T', parts[1][1] == 'T', small ? 0.5f : 0f,
                        small ? new GemmTiles(16, 32, 8, 2, 4) : null);
                break;
            default: throw new ArgumentException($"unknown case {op}");
        }
    }

    private static float[] Random(Random rng, long n, float lo = -2f, float hi = 2f)
    {
        var a = new float[n];
        for (long i = 0; i < n; i++) a[i] = lo + (float)rng.NextDouble() * (hi - lo);
        return a;
    }

    private static DeviceBuffer Upload(ComputeDevice d, float[] data)
    {
        var b = d.Allocate(Math.Max(4, data.Length * 4L));
        d.Stream.Upload<float>(b, data);
        return b;
    }

    /// <summary>Relative tolerance per op: exact where IEEE requires it, a few ulp where OpenCL allows it.</summary>
    private static float UnaryTolerance(ActivationKind op) => op switch
    {
        ActivationKind.Exp or ActivationKind.Sigmoid or ActivationKind.Tanh => 4e-6f,
        ActivationKind.Sqrt => 4e-7f,
        _ => 0f,
    };

    private static void AssertClose(float expected, float actual, float relTol, string what)
    {
        if (expected.Equals(actual)) return;
        var err = Math.Abs(expected - actual);
        var bound = relTol * Math.Max(Math.Abs(expected), 1e-30f);
        Assert.True(err <= bound, $"{what}: expected {expected:R}, got {actual:R} (|err| {err:G3} > {bound:G3})");
    }

    private static void CheckUnary(ComputeDevice d, ActivationKind op, long n)
    {
        var rng = new Random(1000 + (int)op * 31 + (int)n);
        var x = Random(rng, n, op == ActivationKind.Sqrt ? 0f : -8f, 8f);
        using var xb = Upload(d, x);
        using var y = new GuardedBuffer(d, n);
        Broadcast.Unary(d.Stream, Activation.Of(op), DeviceTensor.Flat(xb, 0, n), y.View((int)n));
        var got = y.DownloadPayload<float>(d.Stream);
        for (long i = 0; i < n; i++) AssertClose((float)CnnReference.Act(Activation.Of(op), x[i]), got[i], UnaryTolerance(op), $"{op} n={n} [{i}]");
    }

    private static void CheckBinary(ComputeDevice d, BroadcastOp op, long n)
    {
        var rng = new Random(2000 + (int)op * 31 + (int)n);
        var a = Random(rng, n);
        var b = Random(rng, n);
        if (op == BroadcastOp.Div) for (long i = 0; i < n; i++) b[i] = b[i] >= 0 ? b[i] + 0.5f : b[i] - 0.5f;
        using var ab = Upload(d, a);
        using var bb = Upload(d, b);
        using var y = new GuardedBuffer(d, n);
        Broadcast.Binary(d.Stream, op, DeviceTensor.Flat(ab, 0, n), DeviceTensor.Flat(bb, 0, n), y.View((int)n));
        var got = y.DownloadPayload<float>(d.Stream);
        var tol = op == BroadcastOp.Div ? 3e-7f : 0f; // OpenCL 1.2 allows 2.5 ulp for division
        for (long i = 0; i < n; i++) AssertClose((float)CnnReference.Binary(op, a[i], b[i]), got[i], tol, $"{op} n={n} [{i}]");
    }

    private static void CheckAxpby(ComputeDevice d, long n)
    {
        var rng = new Random(3000 + (int)n);
        var x = Random(rng, n);
        var y0 = Random(rng, n);
        using var xb = Upload(d, x);
        using var y = new GuardedBuffer(d, n);
        y.Upload<float>(d.Stream, y0);
        Broadcast.Axpby(d.Stream, 1.5f, DeviceTensor.Flat(xb, 0, n), -0.25f, y.View((int)n));
        var got = y.DownloadPayload<float>(d.Stream);
        // -cl-mad-enable lets the device fuse the multiply-add, so allow one rounding of difference.
        for (long i = 0; i < n; i++) AssertClose(1.5f * x[i] + -0.25f * y0[i], got[i], 1e-6f, $"axpby n={n} [{i}]");
    }

    private static void CheckCast(ComputeDevice d, long n)
    {
        var rng = new Random(4000 + (int)n);
        var x = Random(rng, n, -70000f, 70000f); // beyond fp16's range at both ends: must become ±inf
        using var xb = Upload(d, x);
        using var h = new GuardedBuffer(d, n, elementSize: 2);
        Broadcast.Cast(d.Stream, DeviceTensor.Flat(xb, 0, n), h.View((int)n));
        var halves = h.DownloadPayload<Half>(d.Stream);
        for (long i = 0; i < n; i++)
            Assert.True(((Half)x[i]).Equals(halves[i]), $"f32->f16 n={n} [{i}]: {x[i]:R} expected {(Half)x[i]}, got {halves[i]}");
        using var back = new GuardedBuffer(d, n);
        Broadcast.Cast(d.Stream, h.View((int)n), back.View((int)n));
        var f = back.DownloadPayload<float>(d.Stream);
        for (long i = 0; i < n; i++) Assert.Equal((float)halves[i], f[i]);
    }

    private static void CheckReduce(ComputeDevice d, AxisReduceOp op, int rows, int cols)
    {
        var rng = new Random(5000 + (int)op * 31 + rows * 7 + cols);
        var x = Random(rng, (long)rows * cols);
        using var xb = Upload(d, x);
        using var y = new GuardedBuffer(d, rows);
        ReduceAxes.Rows(d.Stream, op, new DeviceTensor(xb, 0, [rows, cols]), y.View(rows));
        var got = y.DownloadPayload<float>(d.Stream);
        var want = CnnReference.Reduce(op, x, [rows, cols], [1], out _);
        // Sums of cols values in float: error grows with log2(cols) in a tree, bounded loosely by cols·eps·Σ|x|.
        for (int r = 0; r < rows; r++)
        {
            double absSum = 0;
            for (int c = 0; c < cols; c++) absSum += Math.Abs(x[(long)r * cols + c]) * (op is AxisReduceOp.SumSquare or AxisReduceOp.L2 ? Math.Abs(x[(long)r * cols + c]) : 1);
            if (op == AxisReduceOp.Mean) absSum /= cols;
            var bound = op is AxisReduceOp.Max or AxisReduceOp.Min ? 0 : 1e-6 * Math.Log2(cols + 1) * 4 * absSum + 1e-7;
            if (op == AxisReduceOp.L2) bound = Math.Sqrt(bound) + 2e-7 * want[r];
            Assert.True(Math.Abs(want[r] - got[r]) <= bound, $"{op} {rows}x{cols} row {r}: expected {want[r]:R}, got {got[r]:R}, bound {bound:G3}");
        }
    }

    private static void CheckGemm(ComputeDevice d, int m, int n, int k, bool ta, bool tb, float beta, GemmTiles? tiles)
    {
        var rng = new Random(6000 + m * 131 + n * 17 + k);
        var a = Random(rng, (long)m * k);
        var b = Random(rng, (long)k * n);
        var c0 = Random(rng, (long)m * n);
        using var ab = Upload(d, a);
        using var bb = Upload(d, b);
        using var c = new GuardedBuffer(d, (long)m * n);
        c.Upload<float>(d.Stream, c0);
        Gemm.Run(d.Stream, m, n, k, ab, bb, c.Buffer, alpha: 0.75f, beta: beta, transA: ta, transB: tb, cOffset: c.Offset, tiles: tiles);
        var got = c.DownloadPayload<float>(d.Stream);
        var (want, mag) = ScalarReference.Gemm(m, n, k, a, b, c0, 0.75f, beta, ta, tb);
        for (int i = 0; i < m * n; i++)
        {
            var bound = (k + 2) * 1.2e-7 * mag[i] + 1e-30;
            Assert.True(Math.Abs(want[i] - got[i]) <= bound,
                $"gemm {m}x{n}x{k} ta={ta} tb={tb} [{i / n},{i % n}]: expected {want[i]:R}, got {got[i]:R}, bound {bound:G3}");
        }
    }
}
