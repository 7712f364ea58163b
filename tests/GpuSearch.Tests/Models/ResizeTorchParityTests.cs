// PyTorch parity of Resize as torch exports it: F.interpolate (nearest, bilinear with align_corners off and
// on, by scale_factor and by size) exported at opsets 11, 13 and 17 with a dynamic batch, run by our
// executor and compared with PyTorch's own output at 1e-5. The fixtures are generated at test time by
// Debian's python3-torch into a temp folder (nothing binary is committed); skipped, like the torchvision
// parity tests, where /usr/bin/python3 cannot import torch and torchvision.
using GpuSearch.Models;
using GpuSearch.Models.Execution;
using GpuSearch.Tests.Models.Support;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Models;

public sealed class ResizeTorchParityTests
{
    private const string Script = """
        import sys, os, warnings, numpy as np, torch, torch.nn.functional as F
        warnings.filterwarnings("ignore")
        out = sys.argv[1]
        torch.manual_seed(0)
        class M(torch.nn.Module):
            def __init__(self, kw):
                super().__init__()
                self.kw = kw
            def forward(self, x):
                return F.interpolate(x, **self.kw)
        cases = {
            "nearest": dict(scale_factor=2.0, mode="nearest"),
            "nearest_size": dict(size=(13, 5), mode="nearest"),
            "bilinear": dict(scale_factor=2.0, mode="bilinear", align_corners=False),
            "bilinear_size": dict(size=(13, 5), mode="bilinear", align_corners=False),
            "bilinear_ac": dict(scale_factor=2.0, mode="bilinear", align_corners=True),
            "bilinear_ac_size": dict(size=(13, 5), mode="bilinear", align_corners=True),
        }
        x = torch.randn(2, 3, 7, 9)
        np.save(os.path.join(out, "x.npy"), x.numpy())
        for name, kw in cases.items():
            m = M(kw).eval()
            with torch.no_grad():
                np.save(os.path.join(out, name + ".npy"), m(x).numpy())
            for opset in (11, 13, 17):
                torch.onnx.export(m, x, os.path.join(out, f"{name}_op{opset}.onnx"), opset_version=opset,
                                  input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
        open(os.path.join(out, "done"), "w").close()
        """;

    private static readonly Lazy<string> Fixtures = new(Generate);

    public static TheoryData<string, int> Cases()
    {
        var d = new TheoryData<string, int>();
        foreach (var c in new[] { "nearest", "nearest_size", "bilinear", "bilinear_size", "bilinear_ac", "bilinear_ac_size" })
            foreach (var opset in new[] { 11, 13, 17 }) d.Add(c, opset);
        return d;
    }

    [TorchvisionTheory]
    [MemberData(nameof(Cases))]
    public void InterpolateMatchesPyTorch(string name, int opset)
    {
        var dir = Fixtures.Value;
        var x = Npy.Read(Path.Combine(dir, "x.npy"));
        var want = Npy.Read(Path.Combine(dir, name + ".npy"));
        var model = ModelLoader.Load(Path.Combine(dir, $"{name}_op{opset}.onnx"));
        using var s = new InferenceSession(model.Graph, Devices.Cpu, new SessionOptions { BatchSizes = [2] });
        Assert.True(s.HasDynamicBatch);
        var got = s.Run(new Dictionary<string, HostTensor> { ["x"] = x })["y"];
        Assert.Equal(want.Shape, got.Shape);
        CnnOpsTests.AssertClose(want.Data.Select(v => (double)v).ToArray(), got.Data, 1e-5, 1e-5, $"{name} opset {opset}");
    }

    // One folder per script version, reused by later runs; a half-written one (no "done") is redone. The lock
    // keeps two test processes from writing the same folder at once.
    private static string Generate()
    {
        var tag = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Script)))[..12];
        var dir = Path.Combine(Path.GetTempPath(), $"gpusearch-resize-torch-{tag}");
        if (File.Exists(Path.Combine(dir, "done"))) return dir;
        Directory.CreateDirectory(dir);
        using var held = TorchvisionFixtures.Lock(dir + ".lock");
        if (File.Exists(Path.Combine(dir, "done"))) return dir; // made by another process while we waited
        var script = Path.Combine(dir, "generate.py");
        File.WriteAllText(script, Script);
        var (code, _, stderr) = TorchvisionFixtures.Run(TimeSpan.FromMinutes(10), script, dir);
        if (code != 0) throw new InvalidOperationException($"fixture generation failed ({code}): {stderr}");
        return dir;
    }
}
