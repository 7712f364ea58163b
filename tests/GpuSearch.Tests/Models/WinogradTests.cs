// Winograd F(4×4, 3×3) against the direct conv kernel on a ResNet-sized layer, and where the CPU lowering routes it.
using GpuSearch.Models.Ops;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Models;

public sealed class WinogradTests
{
    [Fact]
    public void MatchesDirectConvOnResNetLayer()
    {
        var d = Devices.Cpu;
        // A ResNet-sized conv (128 → 136 channels) on 13×13 images, so the last tile row and column are partial, with
        // bias, residual and ReLU, batch 3.
        var shape = new Conv2dShape(3, 128, 13, 13, 136, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1);
        var x = CnnOpsTests.Random(11, shape.InputCount);
        var w = CnnOpsTests.Random(12, shape.WeightCount, -0.05f, 0.05f);
        var bias = CnnOpsTests.Random(13, shape.OutChannels);
        var res = CnnOpsTests.Random(14, shape.OutputCount, -2f, 2f);
        using var xb = CnnOpsTests.Upload(d, x);
        using var wb = CnnOpsTests.Upload(d, w);
        using var ub = CnnOpsTests.Upload(d, Winograd.TransformWeights(w, shape.OutChannels, shape.InChannels));
        using var bb = CnnOpsTests.Upload(d, bias);
        using var rb = CnnOpsTests.Upload(d, res);
        using var direct = new GuardedBuffer(d, shape.OutputCount);
        using var wino = new GuardedBuffer(d, shape.OutputCount);
        using var v = d.Allocate(Winograd.InputScratch(shape) * 4);
        using var mo = d.Allocate(Winograd.OutputScratch(shape) * 4);
        int[] xs = [3, 128, 13, 13], ys = [3, 136, 13, 13];
        var bT = new DeviceTensor(bb, 0, [shape.OutChannels]);
        var rT = new DeviceTensor(rb, 0, ys);
        Conv2d.Run(d.Stream, shape, new DeviceTensor(xb, 0, xs), new DeviceTensor(wb, 0, [136, 128, 3, 3]), bT, rT, direct.View(ys), Activation.Relu);
        Winograd.Run(d.Stream, shape, new DeviceTensor(xb, 0, xs), new DeviceTensor(ub, 0, [36 * 136, 128]), bT, rT, wino.View(ys), Activation.Relu,
            DeviceTensor.Flat(v, 0, Winograd.InputScratch(shape)), DeviceTensor.Flat(mo, 0, Winograd.OutputScratch(shape)));
        var a = direct.DownloadPayload<float>(d.Stream);
        var b = wino.DownloadPayload<float>(d.Stream);
        double peak = a.Max(Math.Abs), worst = 0;
        for (int i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        Assert.True(peak > 1, $"outputs too small to compare ({peak})");
        // fp32 Winograd F(4, 3) over K = 1152: well inside the 1e-4 parity budget relative to the largest output.
        Assert.True(worst <= 1e-5 * peak, $"Winograd differs from the direct conv by {worst:G3} (largest output {peak:G3})");
    }

    [Theory]
    [InlineData(3, 64, 13, 13, 64, true, true)]    // 48 tiles: a full block of 32 and a partial one; partial edge tiles
    [InlineData(2, 24, 9, 11, 36, true, false)]    // 36 outputs: a partial block of 8 output channels; non-square
    [InlineData(1, 128, 2, 2, 16, false, true)]    // one tile smaller than 4×4, inside a block of 32 lanes
    [InlineData(2, 64, 7, 7, 64, false, false)]    // no bias, no residual
    [InlineData(2, 256, 6, 6, 24, true, true)]     // above 128 inputs: blocks of 16 tiles, 16 output channels (a partial one)
    public void FusedMatchesDirectConv(int n, int c, int h, int w, int m, bool hasBias, bool hasRes)
    {
        var d = Devices.Cpu;
        var shape = new Conv2dShape(n, c, h, w, m, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1);
        Assert.True(WinogradFused.Supports(shape));
        var x = CnnOpsTests.Random(21, shape.InputCount);
        var wt = CnnOpsTests.Random(22, shape.WeightCount, -0.1f, 0.1f);
        using var xb = CnnOpsTests.Upload(d, x);
        using var wb = CnnOpsTests.Upload(d, wt);
        using var ub = CnnOpsTests.Upload(d, Winograd.TransformWeights(wt, m, c));
        using var bb = CnnOpsTests.Upload(d, CnnOpsTests.Random(23, m));
        using var rb = CnnOpsTests.Upload(d, CnnOpsTests.Random(24, shape.OutputCount, -2f, 2f));
        using var direct = new GuardedBuffer(d, shape.OutputCount);
        using var fused = new GuardedBuffer(d, shape.OutputCount);
        int[] xs = [n, c, h, w], ys = [n, m, shape.OutHeight, shape.OutWidth];
        DeviceTensor? bT = hasBias ? new DeviceTensor(bb, 0, [m]) : null, rT = hasRes ? new DeviceTensor(rb, 0, ys) : null;
        Conv2d.Run(d.Stream, shape, new DeviceTensor(xb, 0, xs), new DeviceTensor(wb, 0, [m, c, 3, 3]), bT, rT, direct.View(ys), Activation.Relu);
        WinogradFused.Run(d.Stream, shape, new DeviceTensor(xb, 0, xs), new DeviceTensor(ub, 0, [36 * m, c]), bT, rT, fused.View(ys), Activation.Relu);
        var a = direct.DownloadPayload<float>(d.Stream);
        var b = fused.DownloadPayload<float>(d.Stream);
        double peak = a.Max(Math.Abs), worst = 0;
        for (int i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        Assert.True(peak > 0.5, $"outputs too small to compare ({peak})");
        // fp32 rounding of the transforms grows with K = 9·C (~1e-5 of the largest output at K = 2304); a wrong tap, lane
        // or tile is off by the order of the output itself.
        Assert.True(worst <= 3e-5 * peak, $"fused Winograd differs from the direct conv by {worst:G3} (largest output {peak:G3})");
    }

    [Theory]
    [InlineData(8, 128, 28, 128, 1, true)]    // ResNet-18 layer 2, batch 8
    [InlineData(8, 512, 7, 512, 1, true)]     // layer 4, batch 8: 32 tiles still pay
    [InlineData(8, 64, 56, 64, 1, true)]      // 64 channels: the fused kernel takes half the direct kernel's CPU time
    [InlineData(8, 32, 56, 32, 1, false)]     // 32 channels: not measured, stays direct
    [InlineData(1, 512, 7, 512, 1, false)]    // batch 1, 7×7: 4 tiles would waste most of the GEMM's pixel tile
    [InlineData(1, 256, 14, 256, 1, true)]    // batch 1, 14×14: 16 tiles fill the fused kernel's block of 16
    [InlineData(1, 256, 7, 256, 1, false)]    // batch 1, 7×7: 4 tiles in a block of 16
    [InlineData(8, 256, 28, 256, 2, false)]   // stride 2: not a Winograd shape
    public void PaysOnlyWhereMeasuredFaster(int n, int c, int hw, int m, int stride, bool pays)
    {
        var s = new Conv2dShape(n, c, hw, hw, m, 3, 3, stride, stride, 1, 1, 1, 1);
        Assert.Equal(pays, Winograd.Pays(s, ConvTiles.Cpu.TileN));
    }

    [Fact]
    public void TransformedWeightsAreMadeOncePerSessionAndSharedByEveryBatchSize()
    {
        // 64 → 64 channels at 16×16: the CPU lowering takes Winograd at batch 1 and 3 alike.
        const int c = 64, side = 16;
        Assert.True(Winograd.Pays(new Conv2dShape(1, c, side, side, c, 3, 3, 1, 1, 1, 1, 1, 1), ConvTiles.Cpu.TileN));
        var rng = new Random(9);
        var w = Enumerable.Range(0, c * c * 9).Select(_ => (float)(rng.NextDouble() - 0.5) * 0.1f).ToArray();
        var dir = Directory.CreateTempSubdirectory("gpusearch-wino-").FullName;
        try
        {
            var path = Path.Combine(dir, "conv.onnx");
            new GpuSearch.Tests.Models.Support.OnnxTestWriter()
                .Input("x", "N", c, side, side).Init("w", [c, c, 3, 3], w)
                .Node("Conv", ["x", "w"], ["y"], attrs: new() { ["pads"] = new long[] { 1, 1, 1, 1 } })
                .Output("y").Save(path);
            using var session = new GpuSearch.Models.Execution.InferenceSession(path, Devices.Cpu,
                new GpuSearch.Models.Execution.SessionOptions { BatchSizes = [3] });
            var x = Enumerable.Range(0, 3 * c * side * side).Select(_ => (float)rng.NextDouble()).ToArray();
            var one = session.Run(new Dictionary<string, GpuSearch.Models.Execution.HostTensor>
                { ["x"] = new(x[..(c * side * side)], [1, c, side, side]) })["y"];
            long afterFirst = session.WeightBytes;
            Assert.True(afterFirst >= Winograd.Positions * c * c * 4L, $"U not on the device ({afterFirst} bytes)");
            var three = session.Run(new Dictionary<string, GpuSearch.Models.Execution.HostTensor> { ["x"] = new(x, [3, c, side, side]) })["y"];
            Assert.Equal(afterFirst, session.WeightBytes); // the batch-3 plan uploaded nothing new
            Assert.Equal(one.Data, three.Data[..one.Data.Length]);
            foreach (int n in new[] { 1, 3 }) // no plan keeps a host copy of U (4× the weights)
                Assert.Null(session.GetPlan(new Dictionary<string, int[]> { ["x"] = [n, c, side, side] }).ConstantOf("w@winograd4x4"));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void WeightTransformOfAUnitTapIsTheOuterProductOfGColumns()
    {
        // g = e_(1,1) (centre tap): U = G[:,1] G[:,1]ᵀ, so U[p = 6i + j] = G[i,1]·G[j,1]; G[:,1] = (0, −1/6, 1/6, 1/12, −1/12, 0).
        var g = new float[9];
        g[4] = 1f;
        var u = Winograd.TransformWeights(g, 1, 1);
        double[] col = [0, -1.0 / 6, 1.0 / 6, 1.0 / 12, -1.0 / 12, 0];
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++) Assert.Equal(col[i] * col[j], u[6 * i + j], 1e-7);
        Assert.Throws<ArgumentException>(() => Winograd.TransformWeights(new float[8], 1, 1));
    }

    [Fact]
    public void WeightTransformInPiecesCoversEveryElementOnceAndMatchesEachFilterAlone()
    {
        // 512 input channels leave room for 56 output channels a piece: 130 take three pieces, the last one short.
        const int m = 130, c = 512;
        var rng = new Random(5);
        var w = Enumerable.Range(0, m * c * 9).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var u = new float[Winograd.Positions * m * c];
        var writes = new byte[u.Length];
        int pieces = 0;
        Winograd.TransformWeights(w, m, c, (piece, offset) =>
        {
            pieces++;
            piece.CopyTo(u.AsSpan((int)offset));
            for (int i = 0; i < piece.Length; i++) writes[offset + i]++;
        });
        Assert.All(writes, n => Assert.Equal(1, n));
        Assert.Equal(3 * Winograd.Positions, pieces);
        foreach (var (om, ic) in new[] { (0, 0), (55, 511), (56, 0), (111, 300), (112, 7), (129, 511) })
        {
            var alone = Winograd.TransformWeights(w.AsSpan((om * c + ic) * 9, 9), 1, 1);
            for (int p = 0; p < Winograd.Positions; p++) Assert.Equal(alone[p], u[((long)p * m + om) * c + ic]);
        }
    }
}
