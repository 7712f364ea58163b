// ONNX's own node conformance tests (Debian libonnx-testdata, data/node/test_*) for every op the issue
// lists, run through our reader, optimizer and executor on every OpenCL device (PoCL in CI), compared
// with the expected outputs at 1e-4 relative / 1e-5 absolute. Inputs after the first are bound as
// constants (the engine takes weights, shapes and pads as constants; the tests feed them as inputs).
// Prints what ran and every exclusion with its reason; skipped where the package is not installed.
using GpuSearch.Models;
using GpuSearch.Models.Execution;
using GpuSearch.Models.Graph;
using GpuSearch.Models.Onnx;
using GpuSearch.Tests.Models.Support;
using GpuSearch.Tests.Support;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace GpuSearch.Tests.Models;

public sealed class ConformanceTests(ITestOutputHelper output)
{
    /// <summary>The ops of the issue (items 3 and the ConvNeXt/Resize notes), by ONNX op type.</summary>
    public static readonly HashSet<string> IssueOps =
    [
        "Conv", "BatchNormalization", "Relu", "LeakyRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Erf", "Gelu",
        "Add", "Sub", "Mul", "Div", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Gemm", "MatMul",
        "Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Concat", "Slice", "Pad", "Softmax",
        "ReduceMean", "ReduceL2", "Pow", "Sqrt", "LayerNormalization", "Constant", "Identity", "Cast", "Resize",
    ];

    /// <summary>Tests of listed ops we do not run (a pattern over the test name), and why.</summary>
    public static readonly (Regex Pattern, string Reason)[] Exclusions =
    [
        (new("_u?int(8|16|32|64)|_types_|_INT"), "integer tensors as device data: the executor computes in fp32 (integers are only shape arithmetic)"),
        (new("DOUBLE|STRING|BFLOAT16"), "float64/string/bfloat16 tensors: device tensors are fp32 (fp16 storage optional)"),
        (new("^test_(max|average)pool_3d"), "3-D (volumetric) pooling: the image models need 1-D/2-D only"),
        (new("training_mode"), "BatchNormalization in training mode (batch statistics): inference only"),
        (new("with_argmax"), "MaxPool's Indices output"),
        (new("^test_identity_(opt|sequence)$"), "optional/sequence types: tensors only"),
        (new("^test_resize_.*cubic"), "Resize mode=cubic: only nearest and linear (the issue's bonus item)"),
        (new("^test_resize_tf_crop_and_resize"), "Resize coordinate_transformation_mode=tf_crop_and_resize: roi cropping is not supported"),
        (new("^test_resize_.*antialias"), "Resize antialias=1 while downscaling: no antialiasing filter"),
    ];

    private const double RelTol = 1e-4, AbsTol = 1e-5;

    [OnnxTestDataFact]
    public void NodeTestsOfIssueOpsPassOnOpenCl()
    {
        var root = Path.Combine(OnnxTestDataFactAttribute.Root, "node");
        var passed = new List<string>();
        var excluded = new List<string>();
        var failed = new List<string>();
        foreach (var device in Devices.OpenClIds)
        {
            var d = Devices.Get(device);
            foreach (var dir in Directory.GetDirectories(root, "test_*").Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(dir);
                ModelGraph g;
                try { g = OnnxImporter.LoadFile(Path.Combine(dir, "model.onnx")); }
                catch (InvalidDataException e)
                {
                    // The reader rejects it (e.g. opset < 7); list it when the name says it tests one of our ops.
                    var bare = name["test_".Length..].Replace("_", "", StringComparison.Ordinal);
                    if (IssueOps.Any(op => bare.StartsWith(op.ToLowerInvariant(), StringComparison.Ordinal)))
                        excluded.Add($"{name}: the ONNX reader rejects it: {e.Message.Split('\n')[0]}");
                    continue;
                }
                var ops = g.Nodes.Select(n => n.OpType).ToHashSet();
                if (!ops.Any(IssueOps.Contains) || !ops.All(IssueOps.Contains)) continue;
                var why = Exclusions.FirstOrDefault(e => e.Pattern.IsMatch(name)).Reason;
                if (why is not null) { excluded.Add($"{name}: {why}"); continue; }
                try
                {
                    RunCase(d, dir, g);
                    passed.Add(name);
                }
                catch (Exception e)
                {
                    failed.Add($"{name} [{string.Join(",", ops.Order())}]: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
                }
            }
            output.WriteLine($"{device}: {passed.Count} passed, {excluded.Count} excluded, {failed.Count} failed");
        }
        output.WriteLine("passed: " + string.Join(" ", passed));
        foreach (var e in excluded) output.WriteLine("excluded " + e);
        foreach (var f in failed) output.WriteLine("FAILED " + f);
        Assert.True(passed.Count > 0, "no conformance test ran");
        Assert.True(failed.Count == 0, $"{failed.Count} conformance tests failed:\n" + string.Join("\n", failed));
    }

    internal static ConstTensor ReadTensor(string path)
    {
        using var f = File.OpenRead(path);
        var proto = OnnxTensorProto.Read(new Google.Protobuf.CodedInputStream(f));
        return OnnxTensorDecoder.Decode(proto, null, path);
    }

    private static void RunCase(GpuSearch.Compute.ComputeDevice d, string dir, ModelGraph g)
    {
        var data = Path.Combine(dir, "test_data_set_0");
        var inputs = g.Inputs.Where(i => g.ConstantOf(i) is null).ToList();
        var feeds = new Dictionary<string, HostTensor>(StringComparer.Ordinal);
        for (int i = 0; i < inputs.Count; i++)
        {
            var t = ReadTensor(Path.Combine(data, $"input_{i}.pb"));
            if (i == 0 && t.IsFloating) feeds[inputs[i]] = new HostTensor(t.ToFloats(), t.Dims.Select(v => (int)v).ToArray());
            else
            {
                // Bound as an initializer: a constant, no longer a graph input.
                g.Value(inputs[i]).SetConstant(t);
                g.Inputs.Remove(inputs[i]);
            }
        }
        ModelLoader.Prepare(g);
        using var session = new InferenceSession(g, d);
        var outs = session.Run(feeds);
        for (int i = 0; i < g.Outputs.Count; i++)
        {
            var want = ReadTensor(Path.Combine(data, $"output_{i}.pb"));
            var got = outs[g.Outputs[i]];
            var wantDims = want.Dims.Select(v => (int)v).ToArray();
            if (!wantDims.SequenceEqual(got.Shape))
                throw new Xunit.Sdk.XunitException($"output {i} shape [{string.Join(",", got.Shape)}], expected [{string.Join(",", wantDims)}]");
            var w = want.ToFloats();
            for (long j = 0; j < w.Length; j++)
            {
                double e = w[j], a = got.Data[j];
                if (double.IsNaN(e) && double.IsNaN(a)) continue;
                if (e == a) continue;
                if (!(Math.Abs(e - a) <= AbsTol + RelTol * Math.Abs(e)))
                    throw new Xunit.Sdk.XunitException($"output {i} [{j}]: expected {e:R}, got {a:R}");
            }
        }
    }
}
