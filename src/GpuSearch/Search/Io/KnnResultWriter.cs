// Writes k-NN results: .npz (ids int64 Q×k, scores float32 Q×k, as numpy.savez would, uncompressed)
// or JSON ({"k":..,"metric":..,"ids":[[..]],"scores":[[..]]}). Non-finite padding scores become
// null in JSON (JSON has no infinity).
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace GpuSearch.Search.Io;

/// <summary>Result file writers for <c>gpusearch knn</c>.</summary>
internal static class KnnResultWriter
{
    /// <summary>Writes by extension: <c>.npz</c> or <c>.json</c>.</summary>
    /// <exception cref="ArgumentException">Another extension.</exception>
    public static void Write(string path, SearchResult result, Metric metric)
    {
        ArgumentNullException.ThrowIfNull(result);
        var ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext == ".npz") WriteNpz(path, result);
        else if (ext == ".json") File.WriteAllText(path, ToJson(result, metric));
        else throw new ArgumentException($"{path}: output must end in .npz or .json", nameof(path));
    }

    /// <summary>The JSON document for a result.</summary>
    public static string ToJson(SearchResult r, Metric metric)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteNumber("queries", r.QueryCount);
            w.WriteNumber("k", r.K);
            w.WriteString("metric", metric.ToString().ToLowerInvariant());
            w.WriteStartArray("ids");
            for (int q = 0; q < r.QueryCount; q++)
            {
                w.WriteStartArray();
                foreach (var id in r.IdsOf(q)) w.WriteNumberValue(id);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteStartArray("scores");
            for (int q = 0; q < r.QueryCount; q++)
            {
                w.WriteStartArray();
                foreach (var s in r.ScoresOf(q)) { if (float.IsFinite(s)) w.WriteNumberValue(s); else w.WriteNullValue(); }
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>Writes <c>ids</c> and <c>scores</c> arrays into an uncompressed .npz.</summary>
    public static void WriteNpz(string path, SearchResult r)
    {
        using var fs = File.Create(path);
        using var zip = new ZipArchive(fs, ZipArchiveMode.Create);
        WriteEntry(zip, "ids.npy", "<i8", r.QueryCount, r.K, MemoryMarshal.AsBytes(r.Ids.AsSpan()).ToArray());
        WriteEntry(zip, "scores.npy", "<f4", r.QueryCount, r.K, MemoryMarshal.AsBytes(r.Scores.AsSpan()).ToArray());
    }

    private static void WriteEntry(ZipArchive zip, string name, string descr, int rows, int cols, byte[] data, bool oneD = false)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.NoCompression);
        using var s = entry.Open();
        s.Write(NpyHeader(descr, rows, cols, oneD));
        s.Write(data);
    }

    /// <summary>Writes a range-search result: .npz with <c>lims</c> (Q+1 offsets, int64), <c>ids</c>, <c>scores</c>
    /// (flat) and <c>dropped</c> (int64 per query), or JSON with per-query lists.</summary>
    public static void WriteRange(string path, RangeResult r, Metric metric)
    {
        ArgumentNullException.ThrowIfNull(r);
        var ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext == ".npz")
        {
            using var fs = File.Create(path);
            using var zip = new ZipArchive(fs, ZipArchiveMode.Create);
            WriteEntry(zip, "lims.npy", "<i8", 1, r.Offsets.Length, MemoryMarshal.AsBytes(r.Offsets.AsSpan()).ToArray(), oneD: true);
            WriteEntry(zip, "ids.npy", "<i8", 1, r.Ids.Length, MemoryMarshal.AsBytes(r.Ids.AsSpan()).ToArray(), oneD: true);
            WriteEntry(zip, "scores.npy", "<f4", 1, r.Scores.Length, MemoryMarshal.AsBytes(r.Scores.AsSpan()).ToArray(), oneD: true);
            WriteEntry(zip, "dropped.npy", "<i8", 1, r.Dropped.Length, MemoryMarshal.AsBytes(r.Dropped.AsSpan()).ToArray(), oneD: true);
            return;
        }
        if (ext != ".json") throw new ArgumentException($"{path}: output must end in .npz or .json", nameof(path));
        var doc = new
        {
            queries = r.QueryCount,
            metric = metric.ToString().ToLowerInvariant(),
            ids = Enumerable.Range(0, r.QueryCount).Select(q => r.Ids[(int)r.Offsets[q]..(int)r.Offsets[q + 1]]),
            scores = Enumerable.Range(0, r.QueryCount).Select(q => r.Scores[(int)r.Offsets[q]..(int)r.Offsets[q + 1]]),
            dropped = r.Dropped,
        };
        File.WriteAllText(path, JsonSerializer.Serialize(doc));
    }

    /// <summary>A version-1.0 .npy header padded to a multiple of 64 bytes.</summary>
    internal static byte[] NpyHeader(string descr, int rows, int cols, bool oneD = false)
    {
        var shape = oneD ? $"({cols},)" : $"({rows}, {cols})";
        var dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        int total = 10 + dict.Length + 1;
        int pad = (64 - total % 64) % 64;
        var header = dict + new string(' ', pad) + "\n";
        var bytes = new byte[10 + header.Length];
        bytes[0] = 0x93;
        Encoding.ASCII.GetBytes("NUMPY").CopyTo(bytes, 1);
        bytes[6] = 1; bytes[7] = 0;
        bytes[8] = (byte)(header.Length & 0xFF); bytes[9] = (byte)(header.Length >> 8);
        Encoding.ASCII.GetBytes(header).CopyTo(bytes, 10);
        return bytes;
    }
}
