// Reader tests: every storage form of tensors and attributes round-trips through our CodedInputStream
// readers; unknown fields are skipped; corrupt, truncated, oversized or escaping inputs fail with a clear
// InvalidDataException naming the tensor or the problem.
using GpuSearch.Models.Graph;
using GpuSearch.Models.Onnx;
using GpuSearch.Tests.Models.Support;

namespace GpuSearch.Tests.Models;

public class OnnxReaderTests
{
    private static OnnxTestWriter Relu() =>
        new OnnxTestWriter().Input("x", "N", 4).Output("y").Node("Relu", ["x"], ["y"], "relu1");

    [Fact]
    public void ReadsModelGraphNodesAndDeclaredShapes()
    {
        var g = OnnxImporter.LoadBytes(Relu().ToBytes());
        Assert.Equal(8, g.IrVersion);
        Assert.Equal(13, g.Opset);
        Assert.Equal("gpusearch-tests", g.Producer);
        Assert.Equal(["x"], g.Inputs);
        Assert.Equal(["y"], g.Outputs);
        var n = Assert.Single(g.Nodes);
        Assert.Equal(("Relu", "relu1"), (n.OpType, n.Name));
        Assert.Equal("[N,4]", g.Value("x").Shape!.ToString());
        Assert.Equal(TensorDataType.Float, g.Value("x").DataType);
    }

    [Fact]
    public void UnknownFieldsAreSkipped()
    {
        var w = Relu();
        w.AddUnknownFields = true;
        var g = OnnxImporter.LoadBytes(w.ToBytes());
        Assert.Equal("relu1", Assert.Single(g.Nodes).Name);
    }

    [Fact]
    public void AttributesOfEveryKindRoundTrip()
    {
        var attrs = new Dictionary<string, object>
        {
            ["f"] = 2.5f, ["i"] = 7L, ["s"] = "SAME_UPPER", ["fs"] = new[] { 1f, 2f }, ["is"] = new long[] { -1, 3 },
            ["t"] = TestTensor.Longs("", [2], [4, 5]),
        };
        var g = OnnxImporter.LoadBytes(new OnnxTestWriter().Input("x", 1).Output("y").Node("Relu", ["x"], ["y"], attrs: attrs).ToBytes());
        var n = g.Nodes[0];
        Assert.Equal(2.5f, n.GetFloat("f", 0));
        Assert.Equal(7, n.GetInt("i", 0));
        Assert.Equal("SAME_UPPER", n.GetString("s", ""));
        Assert.Equal([1f, 2f], n.GetFloats("fs")!);
        Assert.Equal([-1L, 3L], n.GetInts("is")!);
        Assert.Equal([4L, 5L], n.Attributes["t"].T!.Longs!);
    }

    public static TheoryData<string> Dtypes => ["fp32raw", "fp32typed", "fp32unpacked", "fp32tworuns", "fp16raw", "fp16typed", "int64raw", "int64typed", "int32typed", "uint8raw", "int8typed", "boolraw", "doubletyped"];

    [Theory]
    [MemberData(nameof(Dtypes))]
    public void InitializerDtypesDecode(string kind)
    {
        var t = kind switch
        {
            "fp32raw" => TestTensor.Floats("w", [3], [1, -2, 0.5f]),
            "fp32typed" => new TestTensor { Name = "w", Dims = [3], FloatData = [1, -2, 0.5f] },
            "fp32unpacked" => new TestTensor { Name = "w", Dims = [3], FloatData = [1, -2, 0.5f], FloatDataUnpacked = true },
            "fp32tworuns" => new TestTensor { Name = "w", Dims = [3], FloatData = [1], FloatDataSecondRun = [-2, 0.5f] },
            "fp16raw" => new TestTensor { Name = "w", Dims = [3], Type = TensorDataType.Float16, Raw = new[] { (Half)1, (Half)(-2), (Half)0.5f }.SelectMany(h => BitConverter.GetBytes(h)).ToArray() },
            "fp16typed" => new TestTensor { Name = "w", Dims = [3], Type = TensorDataType.Float16, Int32Data = new[] { (Half)1, (Half)(-2), (Half)0.5f }.Select(h => (int)BitConverter.HalfToUInt16Bits(h)).ToArray() },
            "int64raw" => new TestTensor { Name = "w", Dims = [3], Type = TensorDataType.Int64, Raw = new long[] { 1, -2, 0 }.SelectMany(BitConverter.GetBytes).ToArray() },
            "int64typed" => TestTensor.Longs("w", [3], [1, -2, 0]),
            "int32typed" => new TestTensor { Name = "w", Dims = [3], Type = TensorDataType.Int32, Int32Data = [1, -2, 0] },
            "uint8raw" => new TestTensor { Name = "w", Dims = [3], Type = TensorDataType.UInt8, Raw = [1, 254, 0] },
            "int8typed" => new TestTensor { Name = "w", Dims = [3], Type = TensorDataType.Int8, Int32Data = [1, -2, 0] },
            "boolraw" => new TestTensor { Name = "w", Dims = [3], Type = TensorDataType.Bool, Raw = [1, 0, 1] },
            _ => new TestTensor { Name = "w", Dims = [3], Type = TensorDataType.Double, DoubleData = [1, -2, 0.5] },
        };
        var c = OnnxImporter.LoadBytes(Relu().Init(t).ToBytes()).ConstantOf("w")!;
        Assert.Equal([3L], c.Dims);
        if (kind.StartsWith("fp") || kind.StartsWith("double")) Assert.Equal([1f, -2f, 0.5f], c.Floats!);
        else if (kind == "uint8raw") Assert.Equal([1L, 254L, 0L], c.Longs!);
        else if (kind == "boolraw") Assert.Equal([1L, 0L, 1L], c.Longs!);
        else Assert.Equal([1L, -2L, 0L], c.Longs!);
    }

    [Fact]
    public void InitializersListedAsInputsAreNotRuntimeInputs()
    {
        // IR < 4 convention (SqueezeNet from onnx-caffe2 does this): weights also appear in graph.input.
        var w = new OnnxTestWriter { IrVersion = 3, Opset = 7 }.Input("x", 1).Input("w", 1).Output("y")
            .Init("w", [1], [2f]).Node("Add", ["x", "w"], ["y"]);
        Assert.Equal(["x"], OnnxImporter.LoadBytes(w.ToBytes()).Inputs);
    }

    [Theory]
    [InlineData(2, 13, "IR version 2")]
    [InlineData(11, 13, "IR version 11")]
    [InlineData(8, 6, "opset 6")]
    [InlineData(8, 22, "opset 22")]
    public void VersionsOutsideTheRangeAreRejected(long ir, long opset, string expected)
    {
        var w = Relu(); w.IrVersion = ir; w.Opset = opset;
        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.LoadBytes(w.ToBytes()));
        Assert.Contains(expected, e.Message);
        Assert.Contains("not supported", e.Message);
    }

    [Fact]
    public void TruncatedBytesGiveInvalidDataException()
    {
        var bytes = Relu().Init("w", [64], new float[64]).ToBytes();
        for (int cut = 1; cut < bytes.Length; cut += 7)
        {
            var e = Record.Exception(() => OnnxImporter.LoadBytes(bytes[..cut], "cut.onnx"));
            // Some prefixes are themselves valid protobuf (e.g. cut at a field boundary): those fail later
            // for a missing graph, version or value — still an InvalidDataException, never anything else.
            Assert.True(e is null or InvalidDataException, $"cut at {cut}: {e?.GetType().Name}: {e?.Message}");
        }
        var last = Assert.Throws<InvalidDataException>(() => OnnxImporter.LoadBytes(bytes[..^3], "cut.onnx"));
        Assert.Contains("cut.onnx", last.Message);
    }

    [Fact]
    public void GarbageAndEmptyBytesGiveInvalidDataException()
    {
        Assert.Contains("empty", Assert.Throws<InvalidDataException>(() => OnnxImporter.LoadBytes([])).Message);
        var junk = new byte[256];
        new Random(1).NextBytes(junk);
        Assert.Throws<InvalidDataException>(() => OnnxImporter.LoadBytes(junk));
        Assert.Throws<InvalidDataException>(() => OnnxImporter.LoadBytes("hello, not a model"u8.ToArray()));
    }

    [Theory]
    [InlineData(new long[] { 4 }, 12, "raw data holds 12 bytes")]
    [InlineData(new long[] { -3 }, 12, "negative")]
    [InlineData(new long[] { 1L << 40, 1L << 40 }, 12, "overflow")]
    [InlineData(new long[] { 1L << 20, 1L << 20 }, 12, "exceeds")]
    public void InvalidSizesAreRejectedBeforeAllocating(long[] dims, int rawBytes, string expected)
    {
        var t = new TestTensor { Name = "bad_w", Dims = dims, Raw = new byte[rawBytes] };
        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.LoadBytes(Relu().Init(t).ToBytes()));
        Assert.Contains("'bad_w'", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void TypedDataCountMismatchNamesTheTensor()
    {
        var t = new TestTensor { Name = "short", Dims = [5], FloatData = [1, 2] };
        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.LoadBytes(Relu().Init(t).ToBytes()));
        Assert.Contains("'short'", e.Message);
    }

    [Fact]
    public void StringTensorsAreRejectedWithTheirName()
    {
        var t = new TestTensor { Name = "labels", Dims = [0], Type = TensorDataType.String };
        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.LoadBytes(Relu().Init(t).ToBytes()));
        Assert.Contains("'labels'", e.Message);
        Assert.Contains("String", e.Message);
    }

    [Fact]
    public void ExternalDataInsideTheModelFolderLoads()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(Path.Combine(dir.Path, "weights.bin"), new byte[8].Concat(new[] { 1f, 2f, 3f }.SelectMany(BitConverter.GetBytes)).ToArray());
        var t = new TestTensor { Name = "w", Dims = [3], External = new() { ["location"] = "weights.bin", ["offset"] = "8", ["length"] = "12" } };
        var path = Path.Combine(dir.Path, "m.onnx");
        Relu().Init(t).Save(path);
        Assert.Equal([1f, 2f, 3f], OnnxImporter.LoadFile(path).ConstantOf("w")!.Floats!);
    }

    [Theory]
    [InlineData("../secret.bin")]
    [InlineData("sub/../../secret.bin")]
    [InlineData("/etc/passwd")]
    public void ExternalDataEscapingTheFolderIsAnError(string location)
    {
        using var dir = new TempDir();
        var t = new TestTensor { Name = "w", Dims = [3], External = new() { ["location"] = location } };
        var path = Path.Combine(dir.Path, "m.onnx");
        Relu().Init(t).Save(path);
        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.LoadFile(path));
        Assert.Contains(location, e.Message);
        Assert.Contains("escapes", e.Message);
    }

    [Fact]
    public void ExternalDataNeedsAFile()
    {
        var t = new TestTensor { Name = "w", Dims = [3], External = new() { ["location"] = "w.bin" } };
        Assert.Contains("not loaded from a file", Assert.Throws<InvalidDataException>(() => OnnxImporter.LoadBytes(Relu().Init(t).ToBytes())).Message);
    }
}

/// <summary>A temporary folder deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("gpusearch-onnx-").FullName;
    public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
}
