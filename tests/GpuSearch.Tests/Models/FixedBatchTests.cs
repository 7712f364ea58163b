// Models exported with a fixed batch of 1 ([1,3,H,W] in, [1,D] or [1,D,1,1] out) get a symbolic batch at load
// time where the graph allows it; where it does not, the node that ties the batch is named and the model stays
// as it was (it still runs at batch 1).
using GpuSearch.Models;
using GpuSearch.Models.Execution;
using GpuSearch.Models.Graph;
using GpuSearch.Models.Onnx;
using GpuSearch.Tests.Models.Support;
using GpuSearch.Tests.Support;
using static GpuSearch.Tests.Models.OptimizerTestKit;

namespace GpuSearch.Tests.Models;

public class FixedBatchTests
{
    private static LoadedModel Load(OnnxTestWriter w) => ModelLoader.Prepare(OnnxImporter.LoadBytes(w.ToBytes()));

    // conv 1x1 (2 → 3 channels) → global average pool → Reshape to [1,3]: an old-style fixed-batch head.
    private static OnnxTestWriter ConvPoolReshape(long[] target) => new OnnxTestWriter { Opset = 13 }
        .Input("x", 1, 2, 4, 4).Output("y")
        .Init("w", [3, 2, 1, 1], [1, 0, 0, 1, 1, -1])
        .Init(TestTensor.Longs("shape", [target.Length], target))
        .Node("Conv", ["x", "w"], ["c"], "conv")
        .Node("GlobalAveragePool", ["c"], ["p"], "gap")
        .Node("Reshape", ["p", "shape"], ["y"], "head");

    [Theory]
    [InlineData(1L, 3L)]
    [InlineData(-1L, 3L)]
    [InlineData(1L, -1L)]
    public void ReshapeToOneByDBecomesBatched(long t0, long t1)
    {
        var m = Load(ConvPoolReshape([t0, t1]));
        Assert.Null(m.FixedBatchReason);
        var shape = m.Graph.Value("y").Shape!;
        Assert.Equal(Dim.Symbolic(FixedBatch.Symbol), shape[0]);
        Assert.Equal(Dim.Known(3), shape[1]);
        Assert.Equal(Dim.Symbolic(FixedBatch.Symbol), m.Graph.Value("x").Shape![0]);
    }

    [Fact]
    public void FreedModelRunsABatchLikeSingleImages()
    {
        var g = Load(ConvPoolReshape([1, 3])).Graph;
        using var s = new InferenceSession(g, Devices.Cpu);
        Assert.True(s.HasDynamicBatch);
        var rng = new Random(7);
        var data = Enumerable.Range(0, 3 * 2 * 16).Select(_ => (float)rng.NextDouble()).ToArray();
        var y = s.Run(new Dictionary<string, HostTensor> { ["x"] = new(data, [3, 2, 4, 4]) })["y"];
        Assert.Equal([3, 3], y.Shape);
        for (int b = 0; b < 3; b++)
        {
            // The scalar reference: mean over the 16 pixels of w · x per output channel.
            float[] w = [1, 0, 0, 1, 1, -1];
            for (int o = 0; o < 3; o++)
            {
                double sum = 0;
                for (int i = 0; i < 16; i++)
                    sum += w[o * 2] * data[(b * 2 + 0) * 16 + i] + w[o * 2 + 1] * data[(b * 2 + 1) * 16 + i];
                Assert.True(Math.Abs(sum / 16 - y.Data[b * 3 + o]) < 1e-4, $"batch {b} channel {o}: {y.Data[b * 3 + o]} vs {sum / 16}");
            }
        }
    }

    [Fact]
    public void PooledNdOneOneOutputKeepsTheBatch()
    {
        var w = new OnnxTestWriter { Opset = 8 }.Input("x", 1, 2, 4, 4).Output("y")
            .Node("AveragePool", ["x"], ["y"], "pool", A(("kernel_shape", new long[] { 4, 4 })));
        var m = Load(w);
        Assert.Null(m.FixedBatchReason);
        Assert.Equal("[N,2,1,1]", m.Graph.Value("y").Shape!.ToString());
    }

    [Fact]
    public void ReshapeThatFoldsTheBatchIntoFeaturesIsNamedAndTheModelStaysFixed()
    {
        // [1,3,1,1] → [3,1]: the batch would end up inside a feature axis; nothing can free that.
        var m = Load(ConvPoolReshape([3, 1]));
        Assert.NotNull(m.FixedBatchReason);
        Assert.Contains("'head' (Reshape)", m.FixedBatchReason);
        Assert.Equal(Dim.Known(1), m.Graph.Value("x").Shape![0]);
        Assert.Equal("[3,1]", m.Graph.Value("y").Shape!.ToString());
    }

    [Fact]
    public void ModelInfoShowsTheFreedBatchAndTheReasonWhenItStaysFixed()
    {
        var dir = Directory.CreateTempSubdirectory("fixed-batch-").FullName;
        try
        {
            var freed = Path.Combine(dir, "freed.onnx");
            ConvPoolReshape([1, 3]).Save(freed);
            var info = ModelInfo.Load(freed);
            Assert.Null(info.FixedBatchReason);
            Assert.Equal("[N,2,4,4]", info.Inputs.Single().Shape);
            var stuck = Path.Combine(dir, "stuck.onnx");
            ConvPoolReshape([3, 1]).Save(stuck);
            Assert.Contains("'head' (Reshape)", ModelInfo.Load(stuck).FixedBatchReason);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void SoftmaxOverTheBatchAxisIsNamed()
    {
        var w = new OnnxTestWriter { Opset = 11 }.Input("x", 1, 5).Output("y")
            .Node("Softmax", ["x"], ["y"], "sm", A(("axis", 0L)));
        var m = Load(w);
        Assert.Contains("'sm' (Softmax)", m.FixedBatchReason);
        Assert.Contains("batch axis", m.FixedBatchReason);
    }

    [Fact]
    public void TransposeMovingTheBatchIsNamed()
    {
        var w = new OnnxTestWriter { Opset = 13 }.Input("x", 1, 5).Output("y")
            .Node("Transpose", ["x"], ["y"], "tr", A(("perm", new long[] { 1, 0 })));
        Assert.Contains("'tr' (Transpose)", Load(w).FixedBatchReason);
    }

    [Fact]
    public void DynamicAndLargerFixedBatchesAreLeftAlone()
    {
        Assert.Null(Load(new OnnxTestWriter().Input("x", "batch", 5).Output("y").Node("Relu", ["x"], ["y"])).FixedBatchReason);
        var two = Load(new OnnxTestWriter().Input("x", 2, 5).Output("y").Node("Relu", ["x"], ["y"]));
        Assert.Null(two.FixedBatchReason);
        Assert.Equal(Dim.Known(2), two.Graph.Value("x").Shape![0]);
    }
}
