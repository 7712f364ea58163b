// CUDA caps a grid at 65,535 groups in dimensions 1 and 2 (2^31 − 1 in dimension 0), and the CUDA backend
// refuses such a launch. No GPU is needed to see whether a model's plan would: run it on PoCL with the GPU
// tile configuration and look at every launch. At batch 4 a limit of 1,023 groups stands for 65,535 at batch
// 256 for every dimension that grows with the batch (the ones that can overflow).
using GpuSearch.Compute;
using GpuSearch.Models.Execution;
using GpuSearch.Models.Ops;
using GpuSearch.Tests.Models.Support;
using GpuSearch.Tests.Support;
using Xunit.Abstractions;

namespace GpuSearch.Tests.Models;

public sealed class CudaGridLimitTests(ITestOutputHelper output)
{
    private const int Batch = 4, ScaledLimit = 65535 * Batch / 256;

    private void AssertFitsCudaGrids(string model, int size, string input = "input")
    {
        using var device = DeviceRegistry.Default.Open(Devices.Cpu.Info.Id); // its own stream: the observer sees only this run
        var violations = new List<string>();
        int launches = 0;
        device.Stream.LaunchObserver = (kernel, global, local) =>
        {
            launches++;
            for (int d = 1; d < global.Length; d++)
                if (global[d] / local[d] > ScaledLimit)
                    violations.Add($"{kernel}: {global[d] / local[d]} groups in dimension {d} at batch {Batch}");
        };
        var options = new SessionOptions { ConvTiles = ConvTiles.Gpu, BatchSizes = [Batch] };
        using var session = new InferenceSession(model, device, options);
        var x = new HostTensor(new float[Batch * 3 * size * size], [Batch, 3, size, size]);
        session.Run(new Dictionary<string, HostTensor> { [input] = x });
        output.WriteLine($"{Path.GetFileName(model)}: {launches} launches, {violations.Count} over {ScaledLimit} groups in dims 1–2");
        Assert.True(launches > 10, $"only {launches} launches observed");
        Assert.Empty(violations.Distinct());
    }

    [SharedTheory("models")]
    [InlineData("mobilenetv2_035_224_imagenet_embed", 224, "input")]
    [InlineData("squeezenet1.1_imagenet_fp32", 224, "data_0")]
    [InlineData("nsfwjs_inception_v3_299", 299, "input")]
    public void SharedModelsFitAtBatch256(string model, int size, string input) =>
        AssertFitsCudaGrids(SharedData.Find(Path.Combine("models", model + ".onnx"), out _)!, size, input);

    [TorchvisionTheory]
    [InlineData("efficientnet_b0")]
    [InlineData("densenet121")]
    [InlineData("convnext_tiny")]
    public void TorchvisionModelsFitAtBatch256(string arch) =>
        AssertFitsCudaGrids(Path.Combine(TorchvisionFixtures.Get(arch, 17, output.WriteLine), "model.onnx"), 224);
}
