// ImageSharp 2.1.13 against what we have, on the demo photos (scripts/fetch-demo-photos.sh), interleaved round by
// round so load from other processes hits both sides alike; best round, wall and process CPU seconds.
//   thumbs: encoding 128 px contact-sheet thumbnails: PNG, JPEG q80 and WebP lossy q75 (all ImageSharp; the
//           hand-written PNG encoder this replaced was measured too, see RESULTS.md); bytes and ms per thumbnail.
//   png:    decoding PNGs: our path (managed fast path, else libpng), libpng alone, and ImageSharp's PngDecoder; also the inflate step alone (system zlib's
//           uncompress vs .NET's ZLibStream) on the same IDAT data, and whether the pixels are equal.
// usage: gpusearch-bench imagesharp thumbs|png [--dir DIR] [--repeat 5] [--png-from-jpeg]
using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Runtime.InteropServices;
using GpuSearch.Imaging;
using GpuSearch.Reports;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace GpuSearch.Bench;

public static partial class ImageSharpBench
{
    public static int Run(string[] args)
    {
        if (args.Length == 0) throw new ArgumentException("imagesharp: thumbs or png");
        string dir = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "gpusearch", "demo", "photos");
        int repeat = 5;
        bool fromJpeg = false;
        for (int i = 1; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--dir": dir = Next(); break;
                case "--repeat": repeat = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--png-from-jpeg": fromJpeg = true; break;
                default: throw new ArgumentException($"imagesharp: unknown option {args[i]}");
            }
        }
        if (!Directory.Exists(dir)) throw new ArgumentException($"--dir {dir} does not exist (scripts/fetch-demo-photos.sh fills the default)");
        Console.WriteLine($"CPU: {CpuModel()}; {Environment.ProcessorCount} logical CPUs; AVX-512F {System.Runtime.Intrinsics.X86.Avx512F.IsSupported}; .NET {Environment.Version}");
        return args[0] switch
        {
            "thumbs" => Thumbs(dir, repeat),
            "png" => Png(dir, repeat, fromJpeg),
            _ => throw new ArgumentException($"imagesharp: unknown benchmark {args[0]}"),
        };
    }

    private static int Thumbs(string dir, int repeat)
    {
        var thumbs = Directory.GetFiles(dir).Where(f => f.EndsWith(".jpg") || f.EndsWith(".png")).Order()
            .Select(f => { var d = ImageDecoder.DecodeFile(f, new DecodeOptions { MinTargetSize = (128, 128) }); return Thumbnail.Fit(d.PixelArray, d.Width, d.Height, 128); })
            .ToArray();
        var encoders = new (string Name, Func<RgbImage, byte[]> Encode)[]
        {
            ("png (ImageSharp)", t => { using var i = Image.LoadPixelData<Rgb24>(t.Rgb, t.Width, t.Height); using var ms = new MemoryStream(); i.SaveAsPng(ms); return ms.ToArray(); }),
            ("jpeg q80 (ImageSharp)", t => ThumbnailEncoder.Jpeg(t)),
            ("webp q75 (ImageSharp)", t => ThumbnailEncoder.Webp(t)),
        };
        var best = new double[encoders.Length];
        var bytes = new long[encoders.Length];
        Array.Fill(best, double.MaxValue);
        for (int r = 0; r <= repeat; r++)
            for (int e = 0; e < encoders.Length; e++)
            {
                long total = 0;
                var sw = Stopwatch.StartNew();
                foreach (var t in thumbs) total += encoders[e].Encode(t).Length;
                if (r > 0) best[e] = Math.Min(best[e], sw.Elapsed.TotalMilliseconds);
                bytes[e] = total;
            }
        Console.WriteLine($"{thumbs.Length} thumbnails (≤128 px) of {dir}");
        for (int e = 0; e < encoders.Length; e++)
            Console.WriteLine($"  {encoders[e].Name,-24} {bytes[e] / thumbs.Length,7} B/thumb  {best[e] / thumbs.Length,7:F3} ms/thumb");
        return 0;
    }

    private static int Png(string dir, int repeat, bool fromJpeg)
    {
        var blobs = fromJpeg
            ? Directory.GetFiles(dir, "*.jpg").Order().Select(ToPng).ToArray()
            : Directory.GetFiles(dir, "*.png").Order().Select(File.ReadAllBytes).ToArray();
        long pixels = blobs.Sum(b => (long)BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(16)) * BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(20)));
        Console.WriteLine($"{blobs.Length} PNGs{(fromJpeg ? " (the JPEGs re-encoded by ImageSharp's PNG encoder)" : "")}, {blobs.Sum(b => (long)b.Length) >> 10} KiB, {pixels / 1e6:F1} Mpixel");
        var idat = blobs.Select(Idat).ToArray();
        var sides = new (string Name, Action<byte[], int> Run)[]
        {
            ("ours (managed fast path, else libpng)", (b, i) => ImageDecoder.Decode(b, "bench.png")),
            ("ours: libpng simplified API alone", (b, i) => GpuSearch.Native.Png.PngDecoder.DecodeWithLibpng(b, "bench.png", new DecodeOptions(), out _)),
            ("ImageSharp PngDecoder", (b, i) => { using var img = Image.Load<Rgb24>(b); }),
            ("inflate only: system zlib", (b, i) => SystemZlib.Inflate(idat[i].Data, idat[i].RawSize)),
            ("inflate only: .NET ZLibStream", (b, i) => DotnetInflate(idat[i].Data, idat[i].RawSize)),
        };
        var wall = new double[sides.Length];
        var cpu = new double[sides.Length];
        Array.Fill(wall, double.MaxValue);
        Array.Fill(cpu, double.MaxValue);
        var proc = Process.GetCurrentProcess();
        for (int r = 0; r <= repeat; r++)
            for (int s = 0; s < sides.Length; s++)
            {
                GC.Collect();
                proc.Refresh();
                var c0 = proc.TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < blobs.Length; i++) sides[s].Run(blobs[i], i);
                sw.Stop();
                proc.Refresh();
                if (r == 0) continue;
                wall[s] = Math.Min(wall[s], sw.Elapsed.TotalSeconds);
                cpu[s] = Math.Min(cpu[s], (proc.TotalProcessorTime - c0).TotalSeconds);
            }
        for (int s = 0; s < sides.Length; s++)
            Console.WriteLine($"  {sides[s].Name,-38} wall {wall[s] * 1e3,8:F1} ms  CPU {cpu[s] * 1e3,8:F1} ms  {pixels / wall[s] / 1e6,7:F1} Mpixel/s");
        int equal = 0;
        foreach (var b in blobs)
        {
            var ours = ImageDecoder.Decode(b, "bench.png", new DecodeOptions { ApplyExifOrientation = false });
            using var img = Image.Load<Rgb24>(b);
            var theirs = new byte[img.Width * img.Height * 3];
            img.CopyPixelDataTo(theirs);
            if (!ours.HadAlpha && ours.PixelArray.AsSpan().SequenceEqual(theirs)) equal++;
        }
        Console.WriteLine($"  pixels equal (opaque files): {equal} of {blobs.Length}");
        return 0;
    }

    private static byte[] ToPng(string jpeg)
    {
        var d = ImageDecoder.DecodeFile(jpeg);
        using var img = Image.LoadPixelData<Rgb24>(d.PixelArray, d.Width, d.Height);
        using var ms = new MemoryStream();
        img.SaveAsPng(ms);
        return ms.ToArray();
    }

    // The concatenated IDAT payload (a zlib stream) and the size it inflates to (rows plus filter bytes; no interlace).
    private static (byte[] Data, int RawSize) Idat(byte[] png)
    {
        using var ms = new MemoryStream();
        int w = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), h = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20));
        int bitDepth = png[24], colourType = png[25];
        int channels = colourType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => 1 };
        for (int pos = 8; pos + 8 <= png.Length;)
        {
            int len = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            if (png.AsSpan(pos + 4, 4).SequenceEqual("IDAT"u8)) ms.Write(png, pos + 8, len);
            pos += 12 + len;
        }
        return (ms.ToArray(), h * (1 + (w * channels * bitDepth + 7) / 8));
    }

    private static void DotnetInflate(byte[] z, int size)
    {
        var dst = new byte[size];
        using var s = new ZLibStream(new MemoryStream(z), CompressionMode.Decompress);
        s.ReadExactly(dst);
    }

    private static string CpuModel()
    {
        try { return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "?"; }
        catch (IOException) { return "?"; }
    }

    private static partial class SystemZlib
    {
        [LibraryImport("libz.so.1", EntryPoint = "uncompress")]
        private static partial int Uncompress(ref byte dest, ref nuint destLen, ref byte source, nuint sourceLen);

        public static void Inflate(byte[] z, int size)
        {
            var dst = new byte[size];
            nuint len = (nuint)size;
            int rc = Uncompress(ref dst[0], ref len, ref z[0], (nuint)z.Length);
            if (rc != 0) throw new InvalidDataException($"zlib uncompress: {rc}");
        }
    }
}
