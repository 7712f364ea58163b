// The four real models under ../shared/models: they load, shapes/parameters/MACs match MODELS.md, and the
// optimizer leaves only fused convolutions. Skipped with the reason when ../shared is absent.
using GpuSearch.Models;
using GpuSearch.Models.Graph;
using GpuSearch.Tests.Models.Support;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Models;

public class RealModelTests
{
    // Expected values from MODELS.md: output shape, parameters (M), GMAC per image.
    private const string MobileNet035 = "models/mobilenetv2_035_224_imagenet_embed.onnx";
    private const string SqueezeNet = "models/squeezenet1.1_imagenet_fp32.onnx";
    private const string NsfwMobileNet = "models/nsfwjs_mobilenet_v2_224.onnx";
    private const string NsfwInception = "models/nsfwjs_inception_v3_299.onnx";

    [SharedFact(MobileNet035)]
    public void MobileNetV2035() => Check(MobileNet035, "embedding", "[batch,1280]", 0.39, 0.058);

    [SharedFact(SqueezeNet)]
    public void SqueezeNet11() => Check(SqueezeNet, "embedding", "[batch,1000]", 1.24, 0.35);

    [SharedFact(NsfwMobileNet)]
    public void NsfwMobileNetV2() => Check(NsfwMobileNet, "probs", "[batch,5]", 2.57, 0.30);

    [SharedFact(NsfwInception)]
    public void NsfwInceptionV3() => Check(NsfwInception, "embedding", "[batch,2048]", 22.3, 5.7);

    private static void Check(string relative, string output, string shape, double mparams, double gmac)
    {
        var path = SharedData.Find(relative, out var reason) ?? throw new InvalidOperationException(reason);
        var info = ModelInfo.Load(path);
        Assert.Equal(shape, info.Outputs.Single(o => o.Name == output).Shape);
        Assert.Equal("float32", info.Inputs.Single().DataType);
        Assert.InRange(info.Parameters / 1e6, mparams * 0.98, mparams * 1.02);
        Assert.InRange(info.MacsPerImage / 1e9, gmac * 0.97, gmac * 1.03);
        // After optimization every convolution is fused and no standalone activation or BN remains.
        foreach (var op in new[] { "Conv", "Relu", "Clip", "BatchNormalization", "Identity", "Dropout" })
            Assert.False(info.OpsAfter.ContainsKey(op), $"{op} left after optimization in {relative}");
        Assert.Equal(info.OpsBefore["Conv"], info.OpsAfter[FusedOps.FusedConv]);
        if (relative.Contains("nsfwjs")) Assert.Equal("[batch,2048]" == shape ? "[batch,5]" : "[batch,1280]", info.Outputs.Single(o => o.Name != output).Shape);
    }

    [SharedFact(MobileNet035)]
    public void MobileNetV2ResidualsAndClipsAreFused()
    {
        var path = SharedData.Find(MobileNet035, out _);
        var m = ModelLoader.Load(path!);
        var convs = m.Graph.Nodes.Where(n => n.OpType == FusedOps.FusedConv).ToList();
        Assert.Equal(35, convs.Count(n => FusedOps.ActivationOf(n) == "Clip"));
        Assert.Equal(10, convs.Count(n => n.HasInput(FusedOps.ResidualInput)));
        Assert.All(convs.Where(n => FusedOps.ActivationOf(n) == "Clip"), n => Assert.Equal((0f, 6f), (n.GetFloat(FusedOps.AlphaAttr, -1), n.GetFloat(FusedOps.BetaAttr, -1))));
        Assert.Equal(35, m.RuleApplications["FuseActivationIntoConv"]);
        Assert.Equal(10, m.RuleApplications["FuseResidualAddIntoConv"]);
        Assert.DoesNotContain(m.Graph.Nodes, n => n.OpType == "Add");
    }

    [SharedFact(SqueezeNet)]
    public void SqueezeNetKeepsBothOutputsAndDropsDropout()
    {
        var path = SharedData.Find(SqueezeNet, out _);
        var info = ModelInfo.Load(path!);
        Assert.Equal("[batch,1000,1,1]", info.Outputs.Single(o => o.Name == "softmaxout_1").Shape);
        Assert.Equal(4, info.IrVersion);
        Assert.Equal(7, info.Opset);
        Assert.Equal(26, info.RuleApplications["FuseActivationIntoConv"]);
    }

    [SharedFact(MobileNet035)]
    public void TruncatedRealModelIsACleanError()
    {
        var path = SharedData.Find(MobileNet035, out _);
        var bytes = File.ReadAllBytes(path!);
        using var dir = new TempDir();
        var cut = Path.Combine(dir.Path, "cut.onnx");
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => ModelLoader.Load(cut));
        Assert.Contains("cut.onnx", e.Message);
    }
}
