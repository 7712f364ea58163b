// whitening.bin: a round trip keeps every value bit for bit; truncation, a flipped byte, another version, another
// dimension or another model's fingerprint are each refused with a message saying which.
using GpuSearch.Search;
using GpuSearch.Tests.Models;

namespace GpuSearch.Tests.Search;

public class WhiteningFileTests
{
    private const int D = 5;
    private static readonly string Hash = new('a', 64);

    private static StoredWhitening Learned()
    {
        var rng = new Random(4);
        var x = Enumerable.Range(0, 40 * D).Select(_ => (float)rng.NextDouble()).ToArray();
        return new StoredWhitening(PcaWhitening.Learn(x, D, 0.25, 3), Hash, 40);
    }

    [Fact]
    public void Round_trip_keeps_every_value()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, WhiteningFile.FileName);
        var stored = Learned();
        WhiteningFile.Write(path, stored);
        var read = WhiteningFile.Read(path, D, Hash);
        Assert.Equal((stored.FingerprintHash, stored.TrainedRows), (read.FingerprintHash, read.TrainedRows));
        Assert.Equal((D, 3, 0.25), (read.Whitening.InputDimension, read.Whitening.OutputDimension, read.Whitening.Shrinkage));
        Assert.Equal(stored.Whitening.Mean, read.Whitening.Mean);
        Assert.Equal(stored.Whitening.Projection, read.Whitening.Projection);
        Assert.Equal(stored.Whitening.Variances, read.Whitening.Variances);
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Theory]
    [InlineData("truncated", "bytes")]
    [InlineData("flip", "checksum")]
    [InlineData("magic", "GSWHITEN")]
    [InlineData("version", "version 2")]
    [InlineData("hugeK", "output dimension")]
    public void Damage_is_refused(string damage, string message)
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, WhiteningFile.FileName);
        WhiteningFile.Write(path, Learned());
        var b = File.ReadAllBytes(path);
        switch (damage)
        {
            case "truncated": b = b[..^9]; break;
            case "flip": b[150] ^= 1; break;
            case "magic": b[0] = (byte)'X'; break;
            case "version": b[8] = 2; break;
            case "hugeK": BitConverter.GetBytes(1_000_000).CopyTo(b, 16); break;
        }
        File.WriteAllBytes(path, b);
        var e = Assert.Throws<InvalidDataException>(() => WhiteningFile.Read(path, D, Hash));
        Assert.Contains(message, e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Another_dimension_or_fingerprint_is_refused()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, WhiteningFile.FileName);
        WhiteningFile.Write(path, Learned());
        Assert.Contains("5-d vectors", Assert.Throws<InvalidDataException>(() => WhiteningFile.Read(path, D + 1, Hash)).Message);
        Assert.Contains("fingerprint", Assert.Throws<InvalidDataException>(() => WhiteningFile.Read(path, D, new string('b', 64))).Message);
    }
}
