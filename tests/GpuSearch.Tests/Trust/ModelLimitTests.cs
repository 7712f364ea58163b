// Absurd sizes and attributes outside the ONNX spec are refused when the model is loaded, naming the node
// and attribute: no OverflowException, no model that opens and then fails every image.
using GpuSearch.Models;
using GpuSearch.Models.Graph;
using GpuSearch.Models.Onnx;
using GpuSearch.Tests.Models.Support;
using static GpuSearch.Tests.Models.OptimizerTestKit;

namespace GpuSearch.Tests.Trust;

public sealed class ModelLimitTests
{
    private const long TwoTo40 = 1L << 40;

    private static Exception Load(OnnxTestWriter w)
    {
        var e = Record.Exception(() => ModelLoader.Prepare(OnnxImporter.LoadBytes(w.ToBytes(), "m.onnx")));
        Assert.NotNull(e);
        Assert.True(e is InvalidDataException or NotSupportedException, $"{e.GetType().Name}: {e.Message}");
        return e;
    }

    private static OnnxTestWriter ConvModel(long[] pads) => new OnnxTestWriter().Input("x", "N", 3, 8, 8).Output("y")
        .Init("w", [4, 3, 3, 3], Random(108, 1)).Node("Conv", ["x", "w"], ["y"], "conv1", A(("pads", pads)));

    [Fact]
    public void Conv_pads_of_two_to_the_40_are_refused_naming_the_node()
    {
        var e = Load(ConvModel([TwoTo40, TwoTo40, TwoTo40, TwoTo40]));
        Assert.Contains("conv1", e.Message);
        Assert.Contains("over the limit", e.Message);
    }

    [Fact]
    public void Conv_pads_that_overflow_a_long_are_refused_naming_the_node()
    {
        var e = Load(ConvModel([long.MaxValue / 2, long.MaxValue / 2, 1, 1]));
        Assert.Contains("conv1", e.Message);
    }

    [Fact]
    public void Resize_scale_of_1e9_is_refused_naming_the_node()
    {
        var w = new OnnxTestWriter().Input("x", "N", 3, 8, 8).Output("y")
            .Init("scales", [4], [1f, 1f, 1e9f, 1e9f])
            .Node("Resize", ["x", "", "scales"], ["y"], "up", A(("mode", "nearest")));
        var e = Load(w);
        Assert.Contains("up", e.Message);
        Assert.Contains("over the limit", e.Message);
    }

    [Fact]
    public void Pad_of_two_to_the_40_is_refused_naming_the_node()
    {
        var w = new OnnxTestWriter().Input("x", "N", 3, 8, 8).Output("y")
            .Init(TestTensor.Longs("pads", [8], [0, 0, TwoTo40, TwoTo40, 0, 0, TwoTo40, TwoTo40]))
            .Node("Pad", ["x", "pads"], ["y"], "pad1");
        var e = Load(w);
        Assert.Contains("pad1", e.Message);
    }

    [Fact]
    public void An_input_of_60000_by_60000_is_refused_at_open()
    {
        var w = new OnnxTestWriter().Input("x", "N", 3, 60000, 60000).Output("y").Node("Relu", ["x"], ["y"]);
        var e = Assert.IsType<UnsupportedModelException>(Load(w));
        Assert.Contains("graph input 'x'", e.Message);
        Assert.Contains($"{ShapeLimits.MaxInputElementsPerImage} elements per image", e.Message);
    }

    [Theory]
    [InlineData("MaxPool", "ceil_mode", 5L)]
    [InlineData("MaxPool", "count_include_pad", 2L)]
    [InlineData("Gemm", "transB", 7L)]
    [InlineData("Gemm", "transA", -1L)]
    [InlineData("BatchNormalization", "epsilon", -1f)]
    [InlineData("BatchNormalization", "epsilon", float.NaN)]
    [InlineData("Conv", "strides", new long[] { -1, 1 })]
    [InlineData("Conv", "dilations", new long[] { 0, 1 })]
    [InlineData("Conv", "pads", new long[] { -1, 0, 0, 0 })]
    [InlineData("Conv", "group", 0L)]
    [InlineData("MaxPool", "kernel_shape", new long[] { 0, 2 })]
    public void Attributes_outside_the_spec_are_refused_naming_node_and_attribute(string op, string attr, object value)
    {
        var w = new OnnxTestWriter().Input("x", "N", 3, 8, 8).Output("y");
        var attrs = A((attr, value));
        switch (op)
        {
            case "MaxPool":
                if (attr != "kernel_shape") attrs["kernel_shape"] = new long[] { 2, 2 };
                w.Node("MaxPool", ["x"], ["y"], "node1", attrs); break;
            case "Gemm":
                w = new OnnxTestWriter().Input("x", "N", 4).Output("y").Init("b", [4, 4], Random(16, 3));
                w.Node("Gemm", ["x", "b"], ["y"], "node1", attrs); break;
            case "BatchNormalization":
                foreach (var p in new[] { "s", "bias", "mean", "var" }) w.Init(p, [3], [1f, 1f, 1f]);
                w.Node("BatchNormalization", ["x", "s", "bias", "mean", "var"], ["y"], "node1", attrs); break;
            default:
                w.Init("w", [4, 3, 3, 3], Random(108, 1)).Node("Conv", ["x", "w"], ["y"], "node1", attrs); break;
        }
        var e = Assert.IsType<UnsupportedModelException>(Load(w));
        Assert.Contains("node1", e.Message);
        Assert.Contains($"attribute {attr}=", e.Message);
        Assert.Contains("outside the spec", e.Message);
    }
}
