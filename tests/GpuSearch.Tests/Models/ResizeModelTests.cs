// ONNX Resize through the front end and executor: the validator names node, op, opset and attribute for
// what it refuses; shape inference keeps the symbolic batch and follows the spec's floor / sizes / axes /
// keep_aspect_ratio rules; a symbolic-batch model runs at several batch sizes against the scalar reference.
using GpuSearch.Models;
using GpuSearch.Models.Execution;
using GpuSearch.Models.Graph;
using GpuSearch.Models.Onnx;
using GpuSearch.Tests.Models.Support;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Models;

public sealed class ResizeModelTests
{
    private static Dictionary<string, object> A(params (string k, object v)[] kv) => kv.ToDictionary(p => p.k, p => p.v);

    private static OnnxTestWriter X(long opset, params object[] dims) => new OnnxTestWriter { Opset = opset }.Input("x", dims).Output("y");

    private static UnsupportedModelException Reject(OnnxTestWriter w) =>
        Assert.Throws<UnsupportedModelException>(() => ModelLoader.Prepare(OnnxImporter.LoadBytes(w.ToBytes())));

    private static string Infer(OnnxTestWriter w)
    {
        var g = OnnxImporter.LoadBytes(w.ToBytes());
        ShapeInference.Run(g);
        return g.Value("y").Shape?.ToString() ?? "unknown";
    }

    [Theory]
    [InlineData("mode", "cubic", "attribute mode='cubic' is not supported")]
    [InlineData("coordinate_transformation_mode", "tf_crop_and_resize", "coordinate_transformation_mode='tf_crop_and_resize' is not supported")]
    [InlineData("coordinate_transformation_mode", "tf_half_pixel_for_nn", "'tf_half_pixel_for_nn' is not supported at opset 13")]
    [InlineData("nearest_mode", "round_half_even", "nearest_mode='round_half_even' is not supported")]
    public void UnsupportedModesAreNamedWithNodeOpAndOpset(string attr, string value, string expected)
    {
        var w = X(13, "N", 3, 4, 4).Init("sc", [4], [1, 1, 2, 2]).Node("Resize", ["x", "", "sc"], ["y"], "up_1", A((attr, value)));
        var e = Reject(w);
        Assert.Contains("node 'up_1' (Resize, opset 13)", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ScalingNOrCRuntimeScalesAndOtherRanksAreRefused()
    {
        var nc = Reject(X(13, "N", 3, 4, 4).Init("sc", [4], [1, 2, 2, 2]).Node("Resize", ["x", "", "sc"], ["y"], "r_c"));
        Assert.Contains("'r_c' (Resize, opset 13): scales[1]=2 resizes axis 1 (C)", nc.Message);
        var rt = Reject(X(13, "N", 3, 4, 4).Input("sc", 4).Node("Resize", ["x", "", "sc"], ["y"], "r_rt"));
        Assert.Contains("'r_rt' (Resize, opset 13): input 2 ('sc') is not a constant", rt.Message);
        var r3 = Reject(X(13, "N", 4, 4).Init("sc", [3], [1, 1, 2]).Node("Resize", ["x", "", "sc"], ["y"], "r_3d"));
        Assert.Contains("'r_3d' (Resize, opset 13): input 0 has rank 3", r3.Message);
        var aa = Reject(X(18, "N", 3, 8, 8).Init("sc", [4], [1, 1, 0.5f, 0.5f]).Node("Resize", ["x", "", "sc"], ["y"], "r_aa",
            A(("mode", "linear"), ("antialias", 1L))));
        Assert.Contains("'r_aa' (Resize, opset 18): attribute antialias=1 is not supported when an axis shrinks", aa.Message);
    }

    [Fact]
    public void AntialiasWhileUpscalingAndConstantScalesFromASubgraphAreAccepted()
    {
        // Antialiasing only filters when shrinking; a Constant → Mul scales subgraph folds.
        var w = X(18, "N", 3, 4, 4).Init("half", [4], [1, 1, 1, 1]).Init("two", [4], [1, 1, 2, 2])
            .Node("Mul", ["half", "two"], ["sc"]).Node("Resize", ["x", "", "sc"], ["y"], attrs: A(("mode", "linear"), ("antialias", 1L)));
        var m = ModelLoader.Prepare(OnnxImporter.LoadBytes(w.ToBytes()));
        Assert.Equal("[N,3,8,8]", m.Graph.Value("y").Shape!.ToString());
        // Folded scales that shrink are only visible once planning: the executor refuses them there.
        var shrink = X(18, "N", 3, 4, 4).Init("one", [4], [1, 1, 1, 1]).Init("half", [4], [1, 1, 0.5f, 0.5f])
            .Node("Mul", ["one", "half"], ["sc"]).Node("Resize", ["x", "", "sc"], ["y"], "r_aa2", A(("mode", "linear"), ("antialias", 1L)));
        using var s = new InferenceSession(ModelLoader.Prepare(OnnxImporter.LoadBytes(shrink.ToBytes())).Graph, Devices.Cpu);
        var e = Assert.ThrowsAny<NotSupportedException>(() => s.Run(new Dictionary<string, HostTensor> { ["x"] = new(new float[48], [1, 3, 4, 4]) }));
        Assert.Contains("'r_aa2'", e.Message);
        Assert.Contains("antialias=1", e.Message);
    }

    [Theory]
    [InlineData(13, "scales", new float[] { 1, 1, 0.6f, 1.7f }, "[N,3,5,17]")]   // floor(9·0.6), floor(10·1.7)
    [InlineData(10, "scales", new float[] { 1, 1, 2, 3 }, "[N,3,18,30]")]        // opset 10: (X, scales)
    [InlineData(13, "sizes", new float[] { 1, 3, 4, 7 }, "[1,3,4,7]")]           // constant sizes fix N, as the spec says
    public void ShapeFollowsScalesOrSizesWithASymbolicBatch(long opset, string kind, float[] values, string expected)
    {
        var w = X(opset, "N", 3, 9, 10);
        if (kind == "scales") w.Init("t", [4], values);
        else w.Init(TestTensor.Longs("t", [4], values.Select(v => (long)v).ToArray()));
        string[] inputs = opset < 11 ? ["x", "t"] : kind == "scales" ? ["x", "", "t"] : ["x", "", "", "t"];
        Assert.Equal(expected, Infer(w.Node("Resize", inputs, ["y"])));
    }

    [Fact]
    public void SizesFromTheInputShapeKeepTheSymbolicBatch()
    {
        // torch's interpolate(size=(4, 7)): sizes = Concat(Shape(x)[0:2], [4, 7]).
        var w = X(13, "N", 3, 9, 10).Init(TestTensor.Longs("st", [1], [0])).Init(TestTensor.Longs("en", [1], [2]))
            .Init(TestTensor.Longs("hw", [2], [4, 7]))
            .Node("Shape", ["x"], ["s"]).Node("Slice", ["s", "st", "en"], ["nc"]).Node("Concat", ["nc", "hw"], ["sz"], attrs: A(("axis", 0L)))
            .Node("Resize", ["x", "", "", "sz"], ["y"]);
        Assert.Equal("[N,3,4,7]", Infer(w));
        var m = ModelLoader.Prepare(OnnxImporter.LoadBytes(w.ToBytes()));
        Assert.Equal("[N,3,4,7]", m.Graph.Value("y").Shape!.ToString());
    }

    [Theory]
    [InlineData("stretch", "[N,3,20,20]")]
    [InlineData("not_larger", "[N,3,10,20]")]    // one scale min(20/8, 20/16) = 1.25 → 10, 20
    [InlineData("not_smaller", "[N,3,20,40]")]   // max = 2.5 → 20, 40
    public void Opset18AxesAndKeepAspectRatio(string policy, string expected)
    {
        var w = X(18, "N", 3, 8, 16).Init(TestTensor.Longs("sz", [2], [20, 20]))
            .Node("Resize", ["x", "", "", "sz"], ["y"], attrs: A(("axes", new long[] { 2, 3 }), ("keep_aspect_ratio_policy", policy)));
        Assert.Equal(expected, Infer(w));
    }

    [Theory]
    [InlineData(10, "nearest", "")]
    [InlineData(13, "linear", "align_corners")]
    [InlineData(19, "linear", "half_pixel_symmetric")]
    public void SymbolicBatchModelRunsAtEveryBatchSize(long opset, string mode, string coord)
    {
        var attrs = coord.Length > 0 ? A(("mode", mode), ("coordinate_transformation_mode", coord)) : A(("mode", mode));
        var w = X(opset, "N", 2, 5, 6).Init("sc", [4], [1, 1, 1.5f, 0.5f]);
        w.Node("Resize", opset < 11 ? ["x", "sc"] : ["x", "", "sc"], ["y"], attrs: attrs);
        using var s = new InferenceSession(ModelLoader.Prepare(OnnxImporter.LoadBytes(w.ToBytes())).Graph, Devices.Cpu, new SessionOptions { BatchSizes = [2] });
        var x = CnnOpsTests.Random(5, 3 * 60, -2f, 2f);
        var y = s.Run(new Dictionary<string, HostTensor> { ["x"] = new(x, [3, 2, 5, 6]) })["y"];
        Assert.Equal([3, 2, 7, 3], y.Shape);
        var want = CnnOpsTests.ResizeReference(x, 6, 5, 6, 7, 3, 1.5f, 0.5f, mode, opset < 11 ? "asymmetric" : coord, opset < 11 ? "opset10" : "round_prefer_floor");
        CnnOpsTests.AssertClose(want, y.Data, 1e-6, 1e-6, $"opset {opset} {mode} {coord}");
    }
}
