// Byte-level fuzzing of a small valid model: whatever the corruption, loading either succeeds or fails with
// InvalidDataException / NotSupportedException carrying a message — never another exception type, a hang
// or a huge allocation.
using GpuSearch.Models;
using GpuSearch.Models.Onnx;
using GpuSearch.Tests.Models.Support;
using static GpuSearch.Tests.Models.OptimizerTestKit;

namespace GpuSearch.Tests.Models;

public class CorruptModelFuzzTests
{
    private static byte[] Model() => new OnnxTestWriter().Input("x", "N", 3, 8, 8).Output("y")
        .Init("w", [4, 3, 3, 3], Random(108, 1)).Init("b", [4], Random(4, 2))
        .Init("lo", [], [0f]).Init("hi", [], [6f]).Init(TestTensor.Longs("shape", [2], [0, -1]))
        .Node("Conv", ["x", "w", "b"], ["c"], "conv", A(("pads", new long[] { 1, 1, 1, 1 }), ("strides", new long[] { 2, 2 })))
        .Node("Clip", ["c", "lo", "hi"], ["r"]).Node("MaxPool", ["r"], ["p"], attrs: A(("kernel_shape", new long[] { 2, 2 }), ("ceil_mode", 1L)))
        .Node("Reshape", ["p", "shape"], ["y"]).ToBytes();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void RandomByteCorruptionFailsCleanly(int seed)
    {
        // GPUSEARCH_FUZZ_MODEL=path fuzzes another model (e.g. a real one) in local runs.
        var original = Environment.GetEnvironmentVariable("GPUSEARCH_FUZZ_MODEL") is { Length: > 0 } p ? File.ReadAllBytes(p) : Model();
        var rng = new Random(seed);
        int ok = 0, rejected = 0;
        int trials = int.TryParse(Environment.GetEnvironmentVariable("GPUSEARCH_FUZZ_TRIALS"), out var t) ? t : 700;
        for (int trial = 0; trial < trials; trial++)
        {
            var bytes = (byte[])original.Clone();
            int flips = 1 + rng.Next(3);
            for (int f = 0; f < flips; f++) bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
            try
            {
                ModelLoader.Prepare(OnnxImporter.LoadBytes(bytes, "fuzz.onnx"));
                ok++;
            }
            catch (Exception e) when (e is InvalidDataException or NotSupportedException)
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Message));
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"trial {trial}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
        }
        Assert.Equal(trials, ok + rejected);
    }
}
