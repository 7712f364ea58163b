// Executor plumbing: liveness placement in the arena, .npy round trips, batch splitting, the
// device-buffer Run and the run-onnx command, on small graphs built in memory (no shared data needed).
using GpuSearch.Cli.Commands;
using GpuSearch.Models;
using GpuSearch.Models.Execution;
using GpuSearch.Models.Graph;
using GpuSearch.Tests.Models.Support;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Models;

public sealed class ExecutionTests
{
    [Fact]
    public void ArenaPlannerNeverOverlapsLiveValuesAndReusesDeadOnes()
    {
        // A chain a→b→c→d: each value dies after its consumer, so two slots suffice.
        var reqs = new List<ArenaRequest>
        {
            new("a", 1000, -1, 0), new("b", 1000, 0, 1), new("c", 1000, 1, 2), new("d", 1000, 2, 3), new("big", 5000, 3, 4),
        };
        var (offsets, size) = ArenaPlanner.Place(reqs);
        foreach (var x in reqs)
            foreach (var y in reqs)
            {
                if (x.Name == y.Name || x.Last < y.First || y.Last < x.First) continue;
                long xs = offsets[x.Name], ys = offsets[y.Name];
                Assert.True(xs + x.Bytes <= ys || ys + y.Bytes <= xs, $"{x.Name} and {y.Name} are live together but overlap");
            }
        Assert.True(size < ArenaPlanner.Unshared(reqs), $"no reuse: {size} vs {ArenaPlanner.Unshared(reqs)}");
        Assert.All(offsets.Values, o => Assert.Equal(0, o % ArenaPlanner.Alignment));
    }

    [Fact]
    public void NpyRoundTripsAndReadsOtherDtypes()
    {
        var dir = Directory.CreateTempSubdirectory("npy");
        try
        {
            var t = new HostTensor([1.5f, -2f, 3.25f, 0f, 7f, float.NaN], [2, 3]);
            var p = Path.Combine(dir.FullName, "t.npy");
            Npy.Write(p, t);
            var r = Npy.Read(p);
            Assert.Equal(t.Shape, r.Shape);
            Assert.Equal(t.Data, r.Data);
            Assert.Equal(0, (new FileInfo(p).Length - t.Data.Length * 4) % 64); // data starts 64-byte aligned
            // A hand-made uint8 file, as numpy writes it.
            var header = "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }";
            header += new string(' ', (64 - (10 + header.Length + 1) % 64) % 64) + "\n";
            var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)header.Length, 0 };
            bytes.AddRange(System.Text.Encoding.ASCII.GetBytes(header));
            bytes.AddRange(new byte[] { 0, 128, 255 });
            File.WriteAllBytes(p, bytes.ToArray());
            Assert.Equal(new[] { 0f, 128f, 255f }, Npy.Read(p).Data);
            File.WriteAllBytes(p, [1, 2, 3]);
            Assert.Throws<InvalidDataException>(() => Npy.Read(p));
        }
        finally { dir.Delete(true); }
    }

    /// <summary>x[N,2,5,5] → Conv(3×3, pad 1, 4 out, bias) → Relu → GlobalAveragePool → Flatten → y[N,4].</summary>
    internal static ModelGraph TinyConvNet(out float[] w, out float[] b)
    {
        var g = new ModelGraph { Opset = 13, IrVersion = 8 };
        g.Inputs.Add("x");
        g.GetOrAddValue("x").DataType = TensorDataType.Float;
        g.Value("x").Shape = new TensorShape([Dim.Symbolic("N"), 2, 5, 5]);
        var rng = new Random(7);
        w = Enumerable.Range(0, 4 * 2 * 9).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        b = [0.1f, -0.2f, 0.3f, 0f];
        g.GetOrAddValue("w").SetConstant(ConstTensor.FromFloats([4, 2, 3, 3], w));
        g.GetOrAddValue("b").SetConstant(ConstTensor.FromFloats([4], b));
        g.Nodes.Add(new GraphNode("Conv", "conv", ["x", "w", "b"], ["c"])
            .Set("pads", new GraphAttribute { Kind = AttributeKind.Ints, Ints = [1, 1, 1, 1] })
            .Set("kernel_shape", new GraphAttribute { Kind = AttributeKind.Ints, Ints = [3, 3] }));
        g.Nodes.Add(new GraphNode("Relu", "relu", ["c"], ["r"]));
        g.Nodes.Add(new GraphNode("GlobalAveragePool", "gap", ["r"], ["p"]));
        g.Nodes.Add(new GraphNode("Flatten", "flat", ["p"], ["y"]));
        g.Outputs.Add("y");
        ModelLoader.Prepare(g);
        return g;
    }

    private static float[] TinyReference(float[] x, int n, float[] w, float[] b)
    {
        var y = new float[n * 4];
        for (int i = 0; i < n; i++)
            for (int m = 0; m < 4; m++)
            {
                double sum = 0;
                for (int oh = 0; oh < 5; oh++)
                    for (int ow = 0; ow < 5; ow++)
                    {
                        double acc = b[m];
                        for (int c = 0; c < 2; c++)
                            for (int kh = 0; kh < 3; kh++)
                                for (int kw = 0; kw < 3; kw++)
                                {
                                    int ih = oh + kh - 1, iw = ow + kw - 1;
                                    if (ih < 0 || ih >= 5 || iw < 0 || iw >= 5) continue;
                                    acc += w[((m * 2 + c) * 3 + kh) * 3 + kw] * x[((i * 2 + c) * 5 + ih) * 5 + iw];
                                }
                        sum += Math.Max(acc, 0);
                    }
                y[i * 4 + m] = (float)(sum / 25);
            }
        return y;
    }

    [Fact]
    public void AnyBatchIsSplitIntoPlannedSizesAndMatchesTheReference()
    {
        using var s = new InferenceSession(TinyConvNet(out var w, out var b), Devices.Cpu, new SessionOptions { BatchSizes = [4, 2] });
        Assert.True(s.HasDynamicBatch);
        Assert.Equal([4, 4, 2, 1], s.SplitBatch(11));
        var x = CnnOpsTests.Random(11, 11 * 50);
        var y = s.Run(new Dictionary<string, HostTensor> { ["x"] = new(x, [11, 2, 5, 5]) })["y"];
        Assert.Equal([11, 4], y.Shape);
        var want = TinyReference(x, 11, w, b);
        for (int i = 0; i < want.Length; i++) Assert.True(Math.Abs(want[i] - y.Data[i]) <= 1e-5 + 1e-5 * Math.Abs(want[i]), $"[{i}] {want[i]} vs {y.Data[i]}");
        Assert.Equal(3, s.Plans.Count); // 4, 2, 1
        Assert.False(s.InputShape("x")![0].IsKnown);  // planning bound concrete batches; the declared shape stays symbolic
        Assert.False(s.OutputShape("y")![0].IsKnown);
        Assert.All(s.Plans.Values, p => Assert.True(p.ArenaBytes <= p.UnsharedBytes));
    }

    [Fact]
    public void DeviceBufferRunWritesTheFirstOutputWithoutHostCopies()
    {
        var d = Devices.Cpu;
        using var s = new InferenceSession(TinyConvNet(out var w, out var b), d);
        var x = CnnOpsTests.Random(12, 3 * 50);
        using var xb = d.Allocate((3 * 50 + 10) * 4);
        d.Stream.Upload<float>(xb, x, 10 * 4); // at an element offset of 10
        using var y = new GuardedBuffer(d, 3 * 4);
        s.Run(xb, 10, 3, y.Buffer, y.Offset);
        var got = y.DownloadPayload<float>(d.Stream);
        var want = TinyReference(x, 3, w, b);
        for (int i = 0; i < want.Length; i++) Assert.True(Math.Abs(want[i] - got[i]) <= 1e-5 + 1e-5 * Math.Abs(want[i]));
    }

    [Fact]
    public void RunOnnxCommandRejectsBadInputSpecs()
    {
        var model = new FileInfo(Path.Combine(Path.GetTempPath(), "does-not-exist.onnx"));
        Assert.Throws<FileNotFoundException>(() => RunOnnxCommand.Run(model, ["x=a.npy"], new DirectoryInfo(Path.GetTempPath()), "cpu", false, false, TextWriter.Null));
    }

    [SharedFact("models/squeezenet1.1_imagenet_fp32.onnx")]
    public void RunOnnxCommandWritesEveryOutputAsNpy()
    {
        var dir = Directory.CreateTempSubdirectory("runonnx");
        try
        {
            var input = Path.Combine(dir.FullName, "x.npy");
            Npy.Write(input, ExecutionModelTests.Input("squeezenet1.1_imagenet_fp32"));
            var model = new FileInfo(SharedData.Find("models/squeezenet1.1_imagenet_fp32.onnx", out _)!);
            var text = new StringWriter();
            Assert.Equal(0, RunOnnxCommand.Run(model, [$"data_0={input}"], new DirectoryInfo(Path.Combine(dir.FullName, "out")), "cpu", false, true, text));
            Assert.Contains("\"arena_bytes\"", text.ToString());
            var emb = Npy.Read(Path.Combine(dir.FullName, "out", "embedding.npy"));
            var soft = Npy.Read(Path.Combine(dir.FullName, "out", "softmaxout_1.npy"));
            Assert.Equal([2, 1000], emb.Shape);
            Assert.Equal([2, 1000, 1, 1], soft.Shape);
            Assert.InRange(soft.Data.Take(1000).Sum(), 0.999f, 1.001f);
        }
        finally { dir.Delete(true); }
    }
}
