// Mod, Range and ScatterND (Registry/IndexArithmeticOps) and the symbolic products of shape inference, as
// torchvision's Swin exports them: padding `(7 - W % 7) % 7` from the shape, window partition [N,H,W,C] →
// [N·nW, 49, C] and back with x.size(0) // nW, and an attention mask built by ScatterND into zeros(H, W) from
// Range index grids. Expected values are the ONNX spec's examples or written out by hand; everything must
// fold at load time, run with a dynamic batch, and the same ops on runtime tensors be refused naming the node.
using GpuSearch.Models;
using GpuSearch.Models.Execution;
using GpuSearch.Models.Graph;
using GpuSearch.Models.Onnx;
using GpuSearch.Models.Optimizer;
using GpuSearch.Tests.Models.Support;
using GpuSearch.Tests.Support;
using static GpuSearch.Tests.Models.OptimizerTestKit;

namespace GpuSearch.Tests.Models;

public sealed class IndexArithmeticOpsTests
{
    /// <summary>Folds a graph of constants and returns output 'y' as a constant.</summary>
    private static ConstTensor Fold(OnnxTestWriter w)
    {
        var g = OnnxImporter.LoadBytes(w.ToBytes());
        ShapeInference.Run(g);
        new ConstantFolding().Apply(g);
        return g.ConstantOf("y") ?? throw new Xunit.Sdk.XunitException("y was not folded to a constant");
    }

    [Theory] // the ONNX spec's Mod examples
    [InlineData(0, new long[] { 0, -2, 5, 0, 2, 3 })]
    [InlineData(1, new long[] { 0, 1, 5, 0, -1, 3 })]
    public void ModFoldsIntegersWithTheSignOfTheSpec(long fmod, long[] want)
    {
        var w = new OnnxTestWriter { Opset = 17 }.Output("y")
            .Init(TestTensor.Longs("a", [6], [-4, 7, 5, 4, -7, 8])).Init(TestTensor.Longs("b", [6], [2, -3, 8, -2, 3, 5]))
            .Node("Mod", ["a", "b"], ["y"], attrs: A(("fmod", fmod)));
        Assert.Equal(want, Fold(w).Longs);
    }

    [Fact]
    public void ModFoldsFloatsAsFmodAndRefusesFmod0OnFloats()
    {
        var w = new OnnxTestWriter { Opset = 17 }.Output("y")
            .Init("a", [6], [-4.3f, 7.2f, 5.0f, 4.3f, -7.2f, 8.0f]).Init("b", [6], [2.1f, -3.4f, 8.0f, -2.1f, 3.4f, 5.0f])
            .Node("Mod", ["a", "b"], ["y"], attrs: A(("fmod", 1L)));
        var got = Fold(w).Floats!;
        float[] want = [-0.1f, 0.4f, 5f, 0.1f, -0.4f, 3f];
        for (int i = 0; i < want.Length; i++) Assert.Equal(want[i], got[i], 1e-5f);

        var bad = new OnnxTestWriter { Opset = 17 }.Input("x", "N", 2).Output("y")
            .Init("a", [2], [1f, 2f]).Init("b", [2], [3f, 3f]).Node("Mod", ["a", "b"], ["m"], "mod").Node("Add", ["x", "m"], ["y"]);
        var e = Assert.Throws<UnsupportedModelException>(() => ModelLoader.Prepare(OnnxImporter.LoadBytes(bad.ToBytes())));
        Assert.Contains("node 'mod' (Mod, opset 17)", e.Message);
        Assert.Contains("fmod=0", e.Message);
    }

    [Theory]
    [InlineData(3, 9, 3, new long[] { 3, 6 })]
    [InlineData(10, 4, -3, new long[] { 10, 7 })]
    [InlineData(0, 5, 1, new long[] { 0, 1, 2, 3, 4 })]
    [InlineData(5, 5, 1, new long[0])]
    [InlineData(5, 0, 2, new long[0])]
    [InlineData(long.MaxValue - 1, long.MaxValue, 5, new[] { long.MaxValue - 1 })]
    public void RangeFoldsIntegers(long start, long limit, long delta, long[] want)
    {
        var w = new OnnxTestWriter { Opset = 17 }.Output("y")
            .Init(TestTensor.Longs("s", [], [start])).Init(TestTensor.Longs("l", [], [limit])).Init(TestTensor.Longs("d", [], [delta]))
            .Node("Range", ["s", "l", "d"], ["y"]);
        var y = Fold(w);
        Assert.Equal([want.Length], y.Dims);
        Assert.Equal(want, y.Longs);
    }

    [Fact]
    public void RangeFoldsFloatsAndRefusesAZeroDeltaNamingTheNode()
    {
        var w = new OnnxTestWriter { Opset = 17 }.Output("y")
            .Init("s", [], [1f]).Init("l", [], [2f]).Init("d", [], [0.3f]).Node("Range", ["s", "l", "d"], ["y"]);
        Assert.Equal(new[] { 1f, 1.3f, 1.6f, 1.9f }, Fold(w).Floats!.Select(v => MathF.Round(v, 5)));

        var zero = new OnnxTestWriter { Opset = 17 }.Output("y")
            .Init(TestTensor.Longs("s", [], [0])).Init(TestTensor.Longs("l", [], [4])).Init(TestTensor.Longs("d", [], [0]))
            .Node("Range", ["s", "l", "d"], ["y"], "range0");
        var e = Assert.Throws<InvalidDataException>(() => Fold(zero));
        Assert.Contains("range0", e.Message);

        // A length over the tensor limit is refused when its shape is inferred, before anything is allocated.
        var huge = new OnnxTestWriter { Opset = 17 }.Output("y")
            .Init(TestTensor.Longs("s", [], [long.MinValue])).Init(TestTensor.Longs("l", [], [long.MaxValue])).Init(TestTensor.Longs("d", [], [1]))
            .Node("Range", ["s", "l", "d"], ["y"], "huge");
        e = Assert.Throws<InvalidDataException>(() => Fold(huge));
        Assert.Contains("huge", e.Message);
        Assert.Contains("over the limit", e.Message);
    }

    [Fact] // the ONNX spec's ScatterND examples 1 and 2, and reduction='add'
    public void ScatterNDFoldsSpecExamples()
    {
        var one = new OnnxTestWriter { Opset = 17 }.Output("y")
            .Init("data", [8], [1, 2, 3, 4, 5, 6, 7, 8]).Init(TestTensor.Longs("idx", [4, 1], [4, 3, 1, 7])).Init("upd", [4], [9, 10, 11, 12])
            .Node("ScatterND", ["data", "idx", "upd"], ["y"]);
        Assert.Equal(new float[] { 1, 11, 3, 10, 9, 6, 7, 12 }, Fold(one).Floats);

        // Example 2's form: index tuples shorter than the rank replace whole 4x4 slices (0 and 2 of 4x4x4).
        var data = Enumerable.Range(0, 64).Select(i => (float)i).ToArray();
        var upd = Enumerable.Range(0, 32).Select(i => 100f + i).ToArray();
        var two = new OnnxTestWriter { Opset = 17 }.Output("y")
            .Init("data", [4, 4, 4], data).Init(TestTensor.Longs("idx", [2, 1], [0, 2])).Init("upd", [2, 4, 4], upd)
            .Node("ScatterND", ["data", "idx", "upd"], ["y"]);
        var y = Fold(two).Floats!;
        for (int i = 0; i < 64; i++)
            Assert.Equal(i / 16 == 0 ? upd[i] : i / 16 == 2 ? upd[16 + i % 16] : data[i], y[i]);

        var add = new OnnxTestWriter { Opset = 17 }.Output("y")
            .Init("data", [4], [1, 2, 3, 4]).Init(TestTensor.Longs("idx", [3, 1], [1, 1, -1])).Init("upd", [3], [10, 20, 30])
            .Node("ScatterND", ["data", "idx", "upd"], ["y"], attrs: A(("reduction", "add")));
        Assert.Equal(new float[] { 1, 32, 3, 34 }, Fold(add).Floats);
    }

    [Fact]
    public void ScatterNDIndexOutsideTheDataIsRefusedNamingTheNode()
    {
        var w = new OnnxTestWriter { Opset = 17 }.Output("y")
            .Init("data", [4], [1, 2, 3, 4]).Init(TestTensor.Longs("idx", [1, 1], [4])).Init("upd", [1], [9])
            .Node("ScatterND", ["data", "idx", "upd"], ["y"], "scatter");
        var e = Assert.Throws<InvalidDataException>(() => Fold(w));
        Assert.Contains("scatter", e.Message);
        Assert.Contains("index 4", e.Message);
    }

    [Theory]
    [InlineData("Mod")]
    [InlineData("ScatterND")]
    [InlineData("Range")]
    public void RuntimeTensorsAreRefusedBeforeAnyWork(string op)
    {
        var w = new OnnxTestWriter { Opset = 17 }.Input("x", "N", 4).Output("y");
        if (op == "Mod") w.Init("c", [4], [3, 3, 3, 3]).Node("Mod", ["x", "c"], ["y"], "op", A(("fmod", 1L)));
        else if (op == "Range") w.Init("one", [], [1f]).Init("zero", [], [0f]).Node("ReduceMax", ["x"], ["top"], attrs: A(("keepdims", 0L)))
            .Node("Range", ["zero", "top", "one"], ["r"], "op").Node("Add", ["r", "one"], ["y"]);
        else w.Init("data", [1], [0]).Init(TestTensor.Longs("idx", [1, 1], [0])).Init(TestTensor.Longs("one", [1], [1]))
            .Node("ReduceMax", ["x"], ["top"], attrs: A(("keepdims", 0L))).Node("Reshape", ["top", "one"], ["upd"])
            .Node("ScatterND", ["data", "idx", "upd"], ["y"], "op");
        var e = Assert.Throws<UnsupportedModelException>(() => ModelLoader.Prepare(OnnxImporter.LoadBytes(w.ToBytes())));
        Assert.Contains($"node 'op' ({op}, opset 17)", e.Message);
        Assert.Contains("runtime tensor", e.Message);
    }

    private static TestTensor L(string name, params long[] v) => TestTensor.Longs(name, [v.Length], v);

    /// <summary>
    /// Swin's shifted-window block in small: x [N,12,12,4] padded to 14x14 by (7 - H % 7) % 7, split into
    /// [N·4, 49, 4] windows, a mask added per window (ScatterND of ones into zeros(14,14) at rows 7.., cols ..7,
    /// then -100 where the mask is not 0), windows merged back with x.size(0) // 4, and the padding sliced off.
    /// </summary>
    private static OnnxTestWriter SwinLikeWindows() => new OnnxTestWriter { Opset = 17 }
        .Input("x", "N", 12, 12, 4).Output("y")
        .Init(TestTensor.Longs("i0", [], [0])).Init(TestTensor.Longs("i1", [], [1])).Init(TestTensor.Longs("i7", [], [7]))
        .Init(L("ax0", 0)).Init(L("axm1", -1)).Init(L("z1", 0)).Init(L("rest6", 2, 7, 2, 7, 4)).Init(L("rest3", 49, 4))
        .Init(L("rest4", 4, 49, 4)).Init(L("rest6b", 2, 2, 7, 7, 4)).Init(L("rest14", 14, 14, 4)).Init(L("hw", 14, 14))
        .Init(L("g77", 7, 7)).Init(L("m4", 2, 7, 2, 7)).Init(L("m3", 4, 49, 1)).Init(TestTensor.Longs("four", [], [4]))
        .Init(L("s0", 0, 0)).Init(L("s1", 12, 12)).Init(L("sax", 1, 2)).Init("one", [], [1f]).Init("zero", [], [0f]).Init("minus100", [], [-100f])
        // pads from the shape: (7 - H % 7) % 7 after H and after W
        .Node("Shape", ["x"], ["sx"]).Node("Gather", ["sx", "i1"], ["h"], attrs: A(("axis", 0L)))
        .Node("Mod", ["h", "i7"], ["hm"], attrs: A(("fmod", 0L))).Node("Sub", ["i7", "hm"], ["hs"]).Node("Mod", ["hs", "i7"], ["pad"], attrs: A(("fmod", 0L)))
        .Node("Unsqueeze", ["pad", "ax0"], ["pad1"])
        .Node("Concat", ["z1", "z1", "z1", "z1", "z1", "pad1", "pad1", "z1"], ["pads"], attrs: A(("axis", 0L)))
        .Node("Pad", ["x", "pads"], ["xp"])
        // windows: [N,2,7,2,7,4] → [N,2,2,7,7,4] → [N·4, 49, 4]
        .Node("Gather", ["sx", "i0"], ["n"], attrs: A(("axis", 0L))).Node("Unsqueeze", ["n", "ax0"], ["n1"])
        .Node("Concat", ["n1", "rest6"], ["t6"], attrs: A(("axis", 0L))).Node("Reshape", ["xp", "t6"], ["x6"])
        .Node("Transpose", ["x6"], ["x6t"], attrs: A(("perm", new long[] { 0, 1, 3, 2, 4, 5 })))
        .Node("Mul", ["n", "four"], ["nw"]).Node("Unsqueeze", ["nw", "ax0"], ["nw1"])
        .Node("Concat", ["nw1", "rest3"], ["t3"], attrs: A(("axis", 0L))).Node("Reshape", ["x6t", "t3"], ["win"])
        // the mask: ScatterND(zeros(14,14), index grid rows 7..13 × cols 0..6, ones)
        .Node("ConstantOfShape", ["hw"], ["zeros"], attrs: A(("value", TestTensor.Floats("v", [1], [0f]))))
        .Node("Shape", ["zeros"], ["sz"]).Node("Gather", ["sz", "i0"], ["rows"], attrs: A(("axis", 0L)))
        .Node("Range", ["i7", "rows", "i1"], ["r"]).Node("Range", ["i0", "i7", "i1"], ["c"])
        .Node("Unsqueeze", ["r", "axm1"], ["rc"]).Node("Expand", ["rc", "g77"], ["rg"]).Node("Unsqueeze", ["rg", "axm1"], ["rg1"])
        .Node("Unsqueeze", ["c", "ax0"], ["cr"]).Node("Expand", ["cr", "g77"], ["cg"]).Node("Unsqueeze", ["cg", "axm1"], ["cg1"])
        .Node("Concat", ["rg1", "cg1"], ["idx"], attrs: A(("axis", -1L))).Node("Expand", ["one", "g77"], ["ones"])
        .Node("ScatterND", ["zeros", "idx", "ones"], ["mask"])
        .Node("Reshape", ["mask", "m4"], ["mask4"]).Node("Transpose", ["mask4"], ["mask4t"], attrs: A(("perm", new long[] { 0, 2, 1, 3 })))
        .Node("Reshape", ["mask4t", "m3"], ["mw"]).Node("Equal", ["mw", "zero"], ["is0"]).Node("Not", ["is0"], ["not0"])
        .Node("Where", ["not0", "minus100", "zero"], ["bias"])
        // [N·4,49,4] → [x.size(0) // 4, 4, 49, 4] + bias, then the windows merged back and the padding sliced off
        .Node("Shape", ["win"], ["sw"]).Node("Gather", ["sw", "i0"], ["nw2"], attrs: A(("axis", 0L))).Node("Div", ["nw2", "four"], ["b"])
        .Node("Unsqueeze", ["b", "ax0"], ["b1"]).Node("Concat", ["b1", "rest4"], ["t4"], attrs: A(("axis", 0L)))
        .Node("Reshape", ["win", "t4"], ["w4"]).Node("Add", ["w4", "bias"], ["wb"])
        .Node("Concat", ["b1", "rest6b"], ["t6b"], attrs: A(("axis", 0L))).Node("Reshape", ["wb", "t6b"], ["y6"])
        .Node("Transpose", ["y6"], ["y6t"], attrs: A(("perm", new long[] { 0, 1, 3, 2, 4, 5 })))
        .Node("Concat", ["b1", "rest14"], ["t14"], attrs: A(("axis", 0L))).Node("Reshape", ["y6t", "t14"], ["yp"])
        .Node("Slice", ["yp", "s0", "s1", "sax"], ["y"]);

    [Fact]
    public void SwinLikeWindowsAndMaskFoldAtLoadAndRunWithADynamicBatch()
    {
        var m = ModelLoader.Prepare(OnnxImporter.LoadBytes(SwinLikeWindows().ToBytes()));
        Assert.Null(m.FixedBatchReason);
        Assert.Equal("[N,12,12,4]", m.Graph.Value("y").Shape!.ToString());
        // The whole mask and every shape computation are constants after loading.
        Assert.DoesNotContain(m.Graph.Nodes, n => n.OpType is "Mod" or "Range" or "ScatterND" or "Where" or "Equal" or "ConstantOfShape" or "Shape");

        const int batch = 2;
        var x = Enumerable.Range(0, batch * 12 * 12 * 4).Select(i => (float)(i % 97) - 40f).ToArray();
        using var s = new InferenceSession(m.Graph, Devices.Cpu, new SessionOptions { BatchSizes = [batch] });
        var y = s.Run(new Dictionary<string, HostTensor> { ["x"] = new(x, [batch, 12, 12, 4]) })["y"];
        Assert.Equal([batch, 12, 12, 4], y.Shape);
        for (int i = 0; i < x.Length; i++)
        {
            int h = i / (12 * 4) % 12, w = i / 4 % 12;
            Assert.Equal(x[i] + (h >= 7 && w < 7 ? -100f : 0f), y.Data[i]);
        }
    }

    [Fact]
    public void SymbolicSizesMultiplyAndDivideExactly()
    {
        var n64 = SymbolicSize.Of(Dim.Symbolic("N"))!.Times(SymbolicSize.Of(64)!)!;
        Assert.Equal("N*64", n64.ToDim().ToString());
        Assert.Equal("N", n64.DividedBy(SymbolicSize.Of(64)!)!.ToDim().ToString());
        Assert.Equal("N*32", n64.DividedBy(SymbolicSize.Of(2)!)!.ToDim().ToString());
        Assert.Equal(128L, n64.DividedBy(SymbolicSize.Of(Dim.Symbolic("N"))!)!.Times(SymbolicSize.Of(2)!)!.ToDim().Value);
        Assert.Null(n64.DividedBy(SymbolicSize.Of(3)!)); // not exact
        Assert.Null(n64.DividedBy(SymbolicSize.Of(Dim.Symbolic("M"))!));
        Assert.Null(SymbolicSize.Of(Dim.Symbolic("?")));
        Assert.Null(SymbolicSize.Of(Dim.OfNumber(-1))); // Reshape's -1 is a number, not a size
        Assert.Equal("H*N*3", SymbolicSize.ProductOf([Dim.Symbolic("N"), 3, Dim.Symbolic("H")])!.ToDim().ToString());
    }
}
