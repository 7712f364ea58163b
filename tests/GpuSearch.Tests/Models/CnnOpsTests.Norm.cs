// Normalisation and reduction cases of the CNN op suite: Softmax/LogSoftmax on any axis,
// LayerNormalization, unfused BatchNormalization and reductions over axis sets.
using GpuSearch.Compute;
using GpuSearch.Models.Ops;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Models;

public sealed partial class CnnOpsTests
{
    private static readonly int[] NormShape = [2, 3, 4, 5];
    private static readonly int[][] ReduceAxesSets = [[], [1], [2, 3], [0, 2], [-1], [1, 3], [0]];

    private static IEnumerable<string> NormCases()
    {
        foreach (var axis in new[] { 0, 1, 3, -1 }) { yield return $"softmax axis {axis}"; yield return $"softmax log {axis}"; }
        yield return "softmax wide 1";
        foreach (var (r, c) in new[] { (1, 1), (7, 96), (33, 5) }) { yield return $"layernorm {r}x{c} bias"; yield return $"layernorm {r}x{c} nobias"; }
        yield return "batchnorm 2x3x7x5";
        yield return "batchnorm 1x4x1x1";
        foreach (var op in Enum.GetValues<AxisReduceOp>())
            for (int i = 0; i < ReduceAxesSets.Length; i++) yield return $"reduce {op} {i}";
    }

    private static void RunNorm(ComputeDevice d, string name)
    {
        var p = name.Split(' ');
        int seed = Seed(name);
        switch (p[0])
        {
            case "softmax":
            {
                int[] shape = p[1] == "wide" ? [3, 1000] : NormShape;
                var (outer, axis, inner) = Softmax.View(shape, int.Parse(p[2]));
                var x = Random(seed, Elements(shape), -10f, 10f);
                using var xb = Upload(d, x);
                using var y = new GuardedBuffer(d, x.Length);
                bool log = p[1] == "log";
                Softmax.Run(d.Stream, int.Parse(p[2]), new DeviceTensor(xb, 0, shape), y.View(shape), log);
                // log-softmax subtracts two O(10) numbers: absolute error ~ulp(10).
                AssertClose(CnnReference.Softmax(x, outer, axis, inner, log), y.DownloadPayload<float>(d.Stream), 4e-6, log ? 2e-6 : 1e-7, name);
                break;
            }
            case "layernorm":
            {
                var rc = p[1].Split('x').Select(int.Parse).ToArray();
                int rows = rc[0], cols = rc[1];
                var x = Random(seed, (long)rows * cols, -3f, 5f);
                var scale = Random(seed + 1, cols, 0.5f, 1.5f);
                var bias = Random(seed + 2, cols);
                bool hasBias = p[2] == "bias";
                using var xb = Upload(d, x);
                using var sb = Upload(d, scale);
                using var bb = Upload(d, bias);
                using var y = new GuardedBuffer(d, x.Length);
                Normalization.LayerNorm(d.Stream, 1e-5f, new DeviceTensor(xb, 0, [rows, cols]), DeviceTensor.Flat(sb, 0, cols),
                    hasBias ? DeviceTensor.Flat(bb, 0, cols) : null, y.View(rows, cols));
                var want = new double[x.Length];
                for (int r = 0; r < rows; r++)
                {
                    var row = x.Skip(r * cols).Take(cols).Select(v => (double)v).ToArray();
                    double mean = row.Average(), var = row.Select(v => (v - mean) * (v - mean)).Average();
                    for (int c = 0; c < cols; c++)
                        want[r * cols + c] = (row[c] - mean) / Math.Sqrt(var + 1e-5) * scale[c] + (hasBias ? bias[c] : 0);
                }
                AssertClose(want, y.DownloadPayload<float>(d.Stream), 1e-5, 1e-5, name);
                break;
            }
            case "batchnorm":
            {
                var dims = p[1].Split('x').Select(int.Parse).ToArray();
                int n = dims[0], c = dims[1], inner = dims[2] * dims[3];
                var x = Random(seed, (long)n * c * inner, -3f, 3f);
                var scale = Random(seed + 1, c, 0.5f, 1.5f);
                var bias = Random(seed + 2, c);
                var mean = Random(seed + 3, c);
                var variance = Random(seed + 4, c, 0.1f, 2f);
                using var xb = Upload(d, x);
                using var sb = Upload(d, scale);
                using var bb = Upload(d, bias);
                using var mb = Upload(d, mean);
                using var vb = Upload(d, variance);
                using var y = new GuardedBuffer(d, x.Length);
                Normalization.BatchNorm(d.Stream, 1e-3f, new DeviceTensor(xb, 0, dims), DeviceTensor.Flat(sb, 0, c), DeviceTensor.Flat(bb, 0, c),
                    DeviceTensor.Flat(mb, 0, c), DeviceTensor.Flat(vb, 0, c), y.View(dims));
                var want = new double[x.Length];
                for (long i = 0; i < x.Length; i++)
                {
                    int ch = (int)(i / inner % c);
                    want[i] = (x[i] - mean[ch]) / Math.Sqrt(variance[ch] + 1e-3) * scale[ch] + bias[ch];
                }
                AssertClose(want, y.DownloadPayload<float>(d.Stream), 1e-6, 1e-6, name);
                break;
            }
            case "reduce":
            {
                var op = Enum.Parse<AxisReduceOp>(p[1]);
                var axes = ReduceAxesSets[int.Parse(p[2])];
                var x = Random(seed, Elements(NormShape), -2f, 2f);
                using var xb = Upload(d, x);
                var want = CnnReference.Reduce(op, x, NormShape, axes, out var outShape);
                using var y = new GuardedBuffer(d, want.Length);
                ReduceAxes.Run(d.Stream, op, axes, new DeviceTensor(xb, 0, NormShape), y.View(outShape));
                Assert.Equal(outShape, ReduceAxes.OutputShape(NormShape, axes, keepDims: true));
                AssertClose(want, y.DownloadPayload<float>(d.Stream), 2e-6, 1e-6, name);
                break;
            }
        }
    }
}
