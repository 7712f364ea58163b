// ONNX external data must come from a regular file whose real path (every link resolved) lies inside the
// model's real folder; anything else is refused before a byte is read, naming the tensor and location.
using GpuSearch.Models.Onnx;
using GpuSearch.Tests.Models;
using GpuSearch.Tests.Models.Support;

namespace GpuSearch.Tests.Trust;

public sealed class ExternalDataContainmentTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    private static string SaveModel(string dir, string location, long[]? dims = null, Dictionary<string, string>? extra = null)
    {
        var ext = new Dictionary<string, string> { ["location"] = location };
        foreach (var (k, v) in extra ?? []) ext[k] = v;
        var t = new TestTensor { Name = "w", Dims = dims ?? [3], External = ext };
        var path = Path.Combine(dir, "m.onnx");
        new OnnxTestWriter().Input("x", "N", 3).Output("y").Node("Relu", ["x"], ["y"], "relu1").Init(t).Save(path);
        return path;
    }

    private static byte[] ThreeFloats => new[] { 1f, 2f, 3f }.SelectMany(BitConverter.GetBytes).ToArray();

    [Fact]
    public void A_symlinked_file_pointing_outside_the_folder_is_refused()
    {
        using var dir = new TempDir();
        using var outside = new TempDir();
        var secret = Path.Combine(outside.Path, "secret.bin");
        File.WriteAllBytes(secret, ThreeFloats);
        File.CreateSymbolicLink(Path.Combine(dir.Path, "weights.bin"), secret);
        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.LoadFile(SaveModel(dir.Path, "weights.bin")));
        Assert.Contains("'w'", e.Message);
        Assert.Contains("weights.bin", e.Message);
        Assert.Contains("escapes the model's folder through a symbolic link", e.Message);
    }

    [Fact]
    public void A_symlink_to_etc_passwd_is_refused()
    {
        using var dir = new TempDir();
        File.CreateSymbolicLink(Path.Combine(dir.Path, "weights.bin"), "/etc/passwd");
        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.LoadFile(SaveModel(dir.Path, "weights.bin", [1])));
        Assert.Contains("escapes", e.Message);
    }

    [Fact]
    public void A_symlinked_directory_pointing_outside_the_folder_is_refused()
    {
        using var dir = new TempDir();
        using var outside = new TempDir();
        File.WriteAllBytes(Path.Combine(outside.Path, "w.bin"), ThreeFloats);
        Directory.CreateSymbolicLink(Path.Combine(dir.Path, "sub"), outside.Path);
        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.LoadFile(SaveModel(dir.Path, "sub/w.bin")));
        Assert.Contains("sub/w.bin", e.Message);
        Assert.Contains("symbolic link", e.Message);
    }

    [Fact]
    public void A_symlink_that_stays_inside_the_folder_loads()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(Path.Combine(dir.Path, "data"));
        File.WriteAllBytes(Path.Combine(dir.Path, "data", "real.bin"), ThreeFloats);
        File.CreateSymbolicLink(Path.Combine(dir.Path, "weights.bin"), Path.Combine("data", "real.bin"));
        Assert.Equal([1f, 2f, 3f], OnnxImporter.LoadFile(SaveModel(dir.Path, "weights.bin")).ConstantOf("w")!.Floats!);
    }

    [Fact]
    public void A_model_inside_a_symlinked_folder_still_loads_its_own_data()
    {
        // The folder itself may be reached through a link: containment compares real paths on both sides.
        using var dir = new TempDir();
        using var links = new TempDir();
        File.WriteAllBytes(Path.Combine(dir.Path, "weights.bin"), ThreeFloats);
        SaveModel(dir.Path, "weights.bin");
        var linked = Path.Combine(links.Path, "model-dir");
        Directory.CreateSymbolicLink(linked, dir.Path);
        Assert.Equal([1f, 2f, 3f], OnnxImporter.LoadFile(Path.Combine(linked, "m.onnx")).ConstantOf("w")!.Floats!);
    }

    [Fact]
    public void A_fifo_as_external_data_is_refused_without_blocking()
    {
        using var dir = new TempDir();
        SpecialFiles.MakeFifo(Path.Combine(dir.Path, "weights.bin"));
        var model = SaveModel(dir.Path, "weights.bin");
        var e = SpecialFiles.ThrowsWithin(Limit, () => OnnxImporter.LoadFile(model));
        Assert.IsType<InvalidDataException>(e);
        Assert.Contains("not a regular file", e.Message);
        Assert.Contains("FIFO", e.Message);
    }

    [Fact]
    public void A_device_as_external_data_is_refused()
    {
        // /dev/zero is outside the folder anyway; the link proves the type is checked even via a link
        // to a device that the containment check would otherwise be the only guard against.
        using var dir = new TempDir();
        File.CreateSymbolicLink(Path.Combine(dir.Path, "weights.bin"), "/dev/zero");
        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.LoadFile(SaveModel(dir.Path, "weights.bin")));
        Assert.Contains("escapes", e.Message);
    }

    [Fact]
    public void A_fifo_as_the_model_file_is_refused_without_blocking()
    {
        using var dir = new TempDir();
        var model = Path.Combine(dir.Path, "m.onnx");
        SpecialFiles.MakeFifo(model);
        var e = SpecialFiles.ThrowsWithin(Limit, () => OnnxImporter.LoadFile(model));
        Assert.IsAssignableFrom<IOException>(e);
        Assert.Contains("not a regular file", e.Message);
    }

    [Fact]
    public void A_tensor_of_two_to_the_31_elements_is_refused_before_reading()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(Path.Combine(dir.Path, "weights.bin"), ThreeFloats);
        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.LoadFile(SaveModel(dir.Path, "weights.bin", [1L << 31])));
        Assert.Contains("'w'", e.Message);
        Assert.Contains("exceeds the limit", e.Message);
    }

    [Fact]
    public void An_offset_that_overflows_with_the_length_is_refused()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(Path.Combine(dir.Path, "weights.bin"), ThreeFloats);
        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.LoadFile(
            SaveModel(dir.Path, "weights.bin", extra: new() { ["offset"] = long.MaxValue.ToString() })));
        Assert.Contains("outside", e.Message);
    }
}
