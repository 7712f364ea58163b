// Test-side .npy/.npz reading of any simple dtype (the library reader only does float matrices).
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace GpuSearch.Tests.Search;

internal static class NpyTestIo
{
    /// <summary>The raw little-endian payload of a .npy stream, reinterpreted as T, plus its descr.</summary>
    public static (T[] Data, string Descr) Read<T>(Stream s) where T : unmanaged
    {
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        var b = ms.ToArray();
        int headerLen = b[8] | b[9] << 8;
        var header = Encoding.Latin1.GetString(b, 10, headerLen);
        var descr = Regex.Match(header, "'descr': '([^']*)'").Groups[1].Value;
        return (MemoryMarshal.Cast<byte, T>(b.AsSpan(10 + headerLen)).ToArray(), descr);
    }

    public static T[] ReadFile<T>(string path) where T : unmanaged
    {
        using var f = File.OpenRead(path);
        return Read<T>(f).Data;
    }

    public static (T[] Data, string Descr) ReadNpzEntry<T>(string path, string name) where T : unmanaged
    {
        using var zip = ZipFile.OpenRead(path);
        using var s = (zip.GetEntry(name) ?? throw new InvalidDataException($"{path}: no entry {name}")).Open();
        return Read<T>(s);
    }

    public static string FixtureDir => Path.Combine(Support.SharedData.RepoRoot, "tests", "GpuSearch.Tests", "Fixtures", "knn");
}
