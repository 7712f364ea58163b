// The op registry is the one op table: every op the validator accepts has a shape rule and a lowering, the
// ops the executor lowers are accepted, and Gather is either run or refused before any work. The eleven
// ops accepted by the registry change (they were lowered but refused before) each run one small graph on
// PoCL against a scalar reference.
using GpuSearch.Imaging;
using GpuSearch.Models;
using GpuSearch.Models.Execution;
using GpuSearch.Models.Graph;
using GpuSearch.Models.Ops;
using GpuSearch.Models.Registry;
using GpuSearch.Tests.Models.Support;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Models;

public sealed class OpRegistryTests
{
    [Fact]
    public void EveryAcceptedOpHasAShapeRuleAndALoweringAndEveryFamilyIsCounted()
    {
        int defined = OpRegistry.Families().Sum(f => f.Ops().Count());
        Assert.Equal(defined, OpRegistry.All.Count); // no op is defined twice (Build would throw) and none is lost
        Assert.NotEmpty(OpRegistry.SupportedOps);
        foreach (var op in OpRegistry.All.Values)
        {
            Assert.True(ShapeInference.Knows(op.OpType), op.OpType);
            if (!op.IsSupported) continue;
            Assert.NotNull(op.Shape);
            Assert.NotNull(op.Lower);
            Assert.True(op.RunsOn(GpuSearch.Compute.ComputeBackend.OpenCL), $"{op.OpType} has no OpenCL kernel");
        }
    }

    [Fact]
    public void BackendSupportDecidesWhereAnOpRunsAndNoLoweringMeansRefused()
    {
        var op = new OpDefinition { OpType = "OpenClOnly", Shape = ActivationOps.SameShape, Lower = (_, _) => { }, Backends = BackendSupport.OpenCL };
        Assert.True(op.IsSupported);
        Assert.True(op.RunsOn(GpuSearch.Compute.ComputeBackend.OpenCL));
        Assert.False(op.RunsOn(GpuSearch.Compute.ComputeBackend.Cuda));
        Assert.False((op with { Lower = null }).IsSupported);
        Assert.False((op with { Lower = null }).RunsOn(GpuSearch.Compute.ComputeBackend.OpenCL));
        // A real shape-only op: known to shape inference, refused by the validator naming why.
        Assert.True(ShapeInference.Knows("Elu"));
        Assert.False(OpRegistry.IsSupported("Elu"));
    }

    public static TheoryData<string> FormerlyRefusedOps() =>
        ["Abs", "Exp", "Expand", "Log", "LogSoftmax", "Neg", "Reciprocal", "ReduceMax", "ReduceMin", "ReduceSum", "ReduceSumSquare"];

    [Theory]
    [MemberData(nameof(FormerlyRefusedOps))]
    public void LoweredOpsAreAcceptedAndMatchAScalarReference(string op)
    {
        var (g, reference) = SingleOp(op);
        ModelLoader.Prepare(g); // validates: throws UnsupportedModelException if refused
        using var s = new InferenceSession(g, Devices.Cpu, new SessionOptions { BatchSizes = [2] });
        int[] xShape = op == "Expand" ? [2, 2, 1, 5] : [2, 2, 3, 5];
        var x = CnnOpsTests.Random(CnnOpsTests.Seed(op), xShape.Aggregate(1, (a, b) => a * b), op == "Log" ? 0.1f : -1f, 1f);
        if (op == "Reciprocal") x = x.Select(v => MathF.Abs(v) < 0.05f ? 0.5f : v).ToArray();
        var y = s.Run(new Dictionary<string, HostTensor> { ["x"] = new(x, xShape) })["y"];
        var (want, shape) = reference(x);
        Assert.Equal(shape, y.Shape);
        CnnOpsTests.AssertClose(want, y.Data, 1e-5, 1e-6, op);
    }

    [Fact]
    public void GatherOfRuntimeDataWithSeveralIndicesIsRefusedAtValidation()
    {
        // It used to pass validation and fail while planning the first batch (after an index folder existed).
        var g = Graph(13, [3, 4]);
        g.GetOrAddValue("idx").SetConstant(ConstTensor.FromLongs([2], [0, 2], TensorDataType.Int64));
        g.Nodes.Add(new GraphNode("Gather", "pick_rows", ["x", "idx"], ["y"]).Set("axis", Int(1)));
        var e = Assert.Throws<UnsupportedModelException>(() => ModelLoader.Prepare(g));
        Assert.Contains("'pick_rows'", e.Message);
        Assert.Contains("Gather", e.Message);
        Assert.Contains("'idx'", e.Message);
    }

    [Fact]
    public void AnEngineOnAModelWithARefusedGatherThrowsBeforeCreatingTheIndexFolder()
    {
        using var dir = new TempDir();
        var model = Path.Combine(dir.Path, "gather.onnx");
        new OnnxTestWriter().Input("input", "N", 3, 16, 16).Output("embedding")
            .Init(new TestTensor { Name = "idx", Dims = [2], Type = TensorDataType.Int64, Int64Data = [0, 2] })
            .Node("Gather", ["input", "idx"], ["g"], "pick_channels", new() { ["axis"] = 1L })
            .Node("GlobalAveragePool", ["g"], ["p"]).Node("Flatten", ["p"], ["embedding"]).Save(model);
        var db = Path.Combine(dir.Path, "db");
        var options = new EngineOptions
        {
            Device = "cpu", ModelPath = model, BatchSize = 2,
            Preprocess = new PreprocessSpec { Resize = new ResizeSpec { Mode = ResizeMode.Exact, Width = 16, Height = 16 }, Scale = 1.0 / 255.0 },
        };
        var e = Assert.Throws<UnsupportedModelException>(() => ImageSearchEngine.Open(db, options));
        Assert.Contains("'pick_channels'", e.Message);
        Assert.False(Directory.Exists(db), "the index folder was created for a model that cannot run");
    }

    [Theory]
    [InlineData(1, -1L, false)] // ViT's x[:, -1]-style scalar index: the axis is dropped
    [InlineData(2, 2L, true)]   // a one-element index vector keeps the axis with size 1
    public void GatherOfRuntimeDataWithOneConstantIndexRunsEndToEnd(int axis, long index, bool vector)
    {
        var g = Graph(13, [3, 4]);
        g.GetOrAddValue("idx").SetConstant(vector ? ConstTensor.FromLongs([1], [index], TensorDataType.Int64)
            : ConstTensor.FromLongs([], [index], TensorDataType.Int64));
        g.Nodes.Add(new GraphNode("Gather", "pick", ["x", "idx"], ["y"]).Set("axis", Int(axis)));
        ModelLoader.Prepare(g);
        using var s = new InferenceSession(g, Devices.Cpu, new SessionOptions { BatchSizes = [2] });
        var x = CnnOpsTests.Random(5, 2 * 3 * 4);
        var y = s.Run(new Dictionary<string, HostTensor> { ["x"] = new(x, [2, 3, 4]) })["y"];
        int[] dims = [2, 3, 4];
        long k = index < 0 ? index + dims[axis] : index;
        var want = new List<double>();
        for (int n = 0; n < 2; n++)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 4; j++)
                    if ((axis == 1 ? i : j) == k) want.Add(x[(n * 3 + i) * 4 + j]);
        int[] shape = axis == 1 ? (vector ? [2, 1, 4] : [2, 4]) : (vector ? [2, 3, 1] : [2, 3]);
        Assert.Equal(shape, y.Shape);
        CnnOpsTests.AssertClose(want.ToArray(), y.Data, 0, 0, "gather");
    }

    // ---- single-op graphs x[N,2,3,5] → op → y, and their scalar references ----

    private static (ModelGraph, Func<float[], (double[], int[])>) SingleOp(string op)
    {
        var g = Graph(13, op == "Expand" ? [2, 1, 5] : [2, 3, 5]);
        var node = new GraphNode(op, op.ToLowerInvariant(), ["x"], ["y"]);
        g.Nodes.Add(node);
        Func<double, double>? unary = op switch
        {
            "Abs" => Math.Abs, "Exp" => Math.Exp, "Log" => Math.Log, "Neg" => v => -v, "Reciprocal" => v => 1 / v, _ => null,
        };
        if (unary is not null) return (g, x => (x.Select(v => unary(v)).ToArray(), [2, 2, 3, 5]));
        switch (op)
        {
            case "LogSoftmax":
                return (g, x => (LogSoftmaxRows(x), [2, 2, 3, 5]));
            case "Expand":
                // x[N,2,1,5] expanded by the constant shape [1,1,3,1]: [N,2,3,5] (numpy broadcast both ways).
                g.GetOrAddValue("shape").SetConstant(ConstTensor.FromLongs([4], [1, 1, 3, 1], TensorDataType.Int64));
                node.Inputs.Add("shape");
                return (g, x => (x.Chunk(5).SelectMany(row => Enumerable.Repeat(row, 3).SelectMany(r => r)).Select(v => (double)v).ToArray(), [2, 2, 3, 5]));
            default:
                // Reductions over axes 1 and 3; ReduceSum takes axes as an input from opset 13, the others an attribute.
                if (op == "ReduceSum")
                {
                    g.GetOrAddValue("axes").SetConstant(ConstTensor.FromLongs([2], [1, -1], TensorDataType.Int64));
                    node.Inputs.Add("axes");
                }
                else node.Set("axes", new GraphAttribute { Kind = AttributeKind.Ints, Ints = [1, -1] });
                bool keep = op is "ReduceMax" or "ReduceSumSquare";
                node.Set("keepdims", Int(keep ? 1 : 0));
                Func<double[], double> f = op switch
                {
                    "ReduceMax" => r => r.Max(), "ReduceMin" => r => r.Min(), "ReduceSum" => r => r.Sum(), _ => r => r.Sum(v => v * v),
                };
                return (g, x => (ReduceAxes13(x, f), keep ? [2, 1, 3, 1] : [2, 3]));
        }
    }

    /// <summary>LogSoftmax along the last axis (rows of 5), in double.</summary>
    private static double[] LogSoftmaxRows(float[] x) => x.Chunk(5).SelectMany(row =>
    {
        var d = row.Select(v => (double)v).ToArray();
        double m = d.Max(), lse = m + Math.Log(d.Sum(u => Math.Exp(u - m)));
        return d.Select(v => v - lse);
    }).ToArray();

    /// <summary>Reduces x[2,2,3,5] over axes 1 and 3 into [2,3] (row-major).</summary>
    private static double[] ReduceAxes13(float[] x, Func<double[], double> f)
    {
        var r = new double[2 * 3];
        for (int n = 0; n < 2; n++)
            for (int h = 0; h < 3; h++)
            {
                var vals = new List<double>();
                for (int c = 0; c < 2; c++)
                    for (int w = 0; w < 5; w++) vals.Add(x[((n * 2 + c) * 3 + h) * 5 + w]);
                r[n * 3 + h] = f(vals.ToArray());
            }
        return r;
    }

    private static ModelGraph Graph(long opset, long[] dims)
    {
        var g = new ModelGraph { Opset = opset, IrVersion = 8 };
        g.Inputs.Add("x");
        g.GetOrAddValue("x").DataType = TensorDataType.Float;
        g.Value("x").Shape = new TensorShape(new[] { Dim.Symbolic("N") }.Concat(dims.Select(Dim.Known)));
        g.Outputs.Add("y");
        return g;
    }

    private static GraphAttribute Int(long v) => new() { Kind = AttributeKind.Int, I = v };
}
