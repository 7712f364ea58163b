// Helpers for optimizer tests: build a tiny model, run selected rules, count ops, and compare the
// reference CPU output of the graph before and after the rewrite.
using GpuSearch.Models;
using GpuSearch.Models.Graph;
using GpuSearch.Models.Onnx;
using GpuSearch.Models.Optimizer;
using GpuSearch.Tests.Models.Support;

namespace GpuSearch.Tests.Models;

internal static class OptimizerTestKit
{
    public static Dictionary<string, object> A(params (string k, object v)[] kv) => kv.ToDictionary(p => p.k, p => p.v);

    public static float[] Random(int n, int seed, float scale = 1)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1) * scale).ToArray();
    }

    /// <summary>Imports, validates, optimizes (default rules unless given) and checks outputs numerically.</summary>
    public static (ModelGraph before, ModelGraph after, Dictionary<string, int> stats) OptimizeAndCompare(
        OnnxTestWriter w, long[] inputDims, IEnumerable<IGraphRule>? rules = null, float tol = 1e-4f)
    {
        var bytes = w.ToBytes();
        var before = OnnxImporter.LoadBytes(bytes);
        ModelValidator.Validate(before);
        ShapeInference.Run(before);
        var after = OnnxImporter.LoadBytes(bytes);
        ModelValidator.Validate(after);
        var stats = new GraphOptimizer(rules).Run(after);
        var x = Random((int)inputDims.Aggregate(1L, (a, b) => a * b), 42, 3);
        var inputs = new Dictionary<string, (long[], float[])> { [before.Inputs[0]] = (inputDims, x) };
        var r0 = ReferenceRunner.Run(before, inputs);
        var r1 = ReferenceRunner.Run(after, inputs);
        foreach (var (name, (dims, data)) in r0)
        {
            Assert.Equal(dims, r1[name].dims);
            for (int i = 0; i < data.Length; i++)
                Assert.True(MathF.Abs(data[i] - r1[name].data[i]) <= tol * (1 + MathF.Abs(data[i])),
                    $"{name}[{i}]: before {data[i]} after {r1[name].data[i]}");
        }
        return (before, after, stats);
    }

    public static int Count(ModelGraph g, string op) => g.Nodes.Count(n => n.OpType == op);
}
