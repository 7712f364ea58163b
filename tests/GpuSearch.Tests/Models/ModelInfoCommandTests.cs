// `gpusearch model-info` in both output forms, on a tiny generated model and (when present) a real one.
using System.Text.Json;
using GpuSearch.Cli.Commands;
using GpuSearch.Tests.Models.Support;
using GpuSearch.Tests.Support;
using static GpuSearch.Tests.Models.OptimizerTestKit;

namespace GpuSearch.Tests.Models;

public class ModelInfoCommandTests
{
    private static string TinyModel(TempDir dir)
    {
        var path = Path.Combine(dir.Path, "tiny.onnx");
        new OnnxTestWriter().Input("x", "N", 3, 8, 8).Output("y").Init("w", [4, 3, 3, 3], Random(108, 1))
            .Node("Conv", ["x", "w"], ["c"], attrs: A(("pads", new long[] { 1, 1, 1, 1 }))).Node("Relu", ["c"], ["r"])
            .Node("GlobalAveragePool", ["r"], ["p"]).Node("Flatten", ["p"], ["y"]).Save(path);
        return path;
    }

    [Fact]
    public void JsonReportsShapesOpsParamsAndFlops()
    {
        using var dir = new TempDir();
        var sw = new StringWriter();
        Assert.Equal(0, ModelInfoCommand.Run(new FileInfo(TinyModel(dir)), true, sw));
        var doc = JsonDocument.Parse(sw.ToString()).RootElement;
        Assert.Equal("[N,3,8,8]", doc.GetProperty("inputs")[0].GetProperty("shape").GetString());
        Assert.Equal("[N,4]", doc.GetProperty("outputs")[0].GetProperty("shape").GetString());
        Assert.Equal(1, doc.GetProperty("ops_before").GetProperty("Relu").GetInt32());
        Assert.Equal(1, doc.GetProperty("ops_after").GetProperty("FusedConv").GetInt32());
        Assert.Equal(108, doc.GetProperty("parameters").GetInt64());
        Assert.Equal(4 * 8 * 8 * 27, doc.GetProperty("macs_per_image").GetInt64());
        Assert.Equal(2 * 4 * 8 * 8 * 27, doc.GetProperty("flops_per_image").GetInt64());
        Assert.Equal(13, doc.GetProperty("opset").GetInt32());
    }

    [Fact]
    public void HumanOutputHasTheSameFacts()
    {
        using var dir = new TempDir();
        var sw = new StringWriter();
        Assert.Equal(0, ModelInfoCommand.Run(new FileInfo(TinyModel(dir)), false, sw));
        var text = sw.ToString();
        Assert.Contains("[N,3,8,8]", text);
        Assert.Contains("FusedConv", text);
        Assert.Contains("parameters: 108", text);
        Assert.Contains("opset 13", text);
    }

    [Fact]
    public void MissingFileIsAnIoError()
    {
        Assert.Throws<FileNotFoundException>(() => ModelInfoCommand.Run(new FileInfo("/nonexistent/m.onnx"), false, new StringWriter()));
    }

    [SharedFact("models/mobilenetv2_035_224_imagenet_embed.onnx")]
    public void RealModelJson()
    {
        var path = SharedData.Find("models/mobilenetv2_035_224_imagenet_embed.onnx", out _)!;
        var sw = new StringWriter();
        ModelInfoCommand.Run(new FileInfo(path), true, sw);
        var doc = JsonDocument.Parse(sw.ToString()).RootElement;
        Assert.Equal("[batch,1280]", doc.GetProperty("outputs")[0].GetProperty("shape").GetString());
        Assert.Equal(389158, doc.GetProperty("parameters").GetInt64());
    }
}
