// TIFF, TGA and PBM/PGM/PPM: decoded pixels equal PIL's exactly (8-bit), and files that are cut short or whose
// header claims a huge image are refused by our own header checks, naming the file, before ImageSharp runs.
using System.Buffers.Binary;
using System.Text;
using GpuSearch.Imaging;
using Xunit.Abstractions;

namespace GpuSearch.Tests.Imaging.ImageSharpFormats;

public sealed class ImageSharpFormatTests(ITestOutputHelper log)
{
    private static readonly (string File, ImageFormat Format)[] Cases =
    [
        ("rgb_raw.tif", ImageFormat.Tiff), ("rgb_lzw.tif", ImageFormat.Tiff), ("rgb_deflate.tif", ImageFormat.Tiff),
        ("rgb_packbits.tif", ImageFormat.Tiff), ("grey.tif", ImageFormat.Tiff),
        ("palette.tif", ImageFormat.Tiff), ("rgba.tif", ImageFormat.Tiff), ("two_pages.tif", ImageFormat.Tiff),
        ("oriented.tif", ImageFormat.Tiff),
        ("rgb.tga", ImageFormat.Tga), ("rgb_rle.tga", ImageFormat.Tga), ("rgba.tga", ImageFormat.Tga),
        ("grey.tga", ImageFormat.Tga), ("palette.tga", ImageFormat.Tga),
        ("rgb.ppm", ImageFormat.Pnm), ("grey.pgm", ImageFormat.Pnm), ("bilevel.pbm", ImageFormat.Pnm),
        ("plain.ppm", ImageFormat.Pnm), ("plain.pgm", ImageFormat.Pnm), ("plain.pbm", ImageFormat.Pnm),
    ];

    [PilFact]
    public void Pixels_equal_PIL()
    {
        var problems = new List<string>();
        foreach (var (file, format) in Cases)
        {
            var path = Path.Combine(PilCases.Dir, file);
            var expected = File.ReadAllBytes(path + ".rgb");
            try
            {
                var img = ImageDecoder.DecodeFile(path);
                int diff = img.PixelArray.Length == expected.Length ? CountDiffs(img.PixelArray, expected) : -1;
                log.WriteLine($"{file}: {img.Format} {img.Width}x{img.Height} orientation {img.Orientation}, {diff} samples differ from PIL");
                if (img.Format != format) problems.Add($"{file}: detected {img.Format}");
                if (diff != 0) File.WriteAllBytes(path + ".ours", img.PixelArray); // beside PIL's, for a look
                if (img.Format == format && diff != 0) problems.Add($"{file}: {(diff < 0 ? "size differs from PIL" : $"{diff} samples differ from PIL")}");
            }
            catch (ImageDecodeException e) { problems.Add($"{file}: {e.Message}"); }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    // PIL writes 1-bit TIFFs without BitsPerSample (the specification's default is 1); ImageSharp 2.1 requires the
    // field. A typed refusal naming the file, not a crash and not wrong pixels.
    [PilFact]
    public void Bilevel_TIFF_without_BitsPerSample_is_refused_cleanly()
    {
        var path = Path.Combine(PilCases.Dir, "bilevel.tif");
        var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.DecodeFile(path));
        log.WriteLine(e.Message);
        Assert.Equal((ImageFormat.Tiff, DecodeFailureReason.Unsupported), (e.Format, e.Reason));
        Assert.Contains(path, e.Message);
    }

    [PilFact]
    public void Truncated_files_are_refused_naming_the_file()
    {
        var problems = new List<string>();
        foreach (var file in new[] { "rgb_raw.tif", "rgb_lzw.tif", "rgb.tga", "rgb_rle.tga", "rgb.ppm", "grey.pgm", "bilevel.pbm", "plain.ppm" })
        {
            var whole = File.ReadAllBytes(Path.Combine(PilCases.Dir, file));
            var name = "cut-" + file;
            // PIL puts a TIFF's IFD after the strips: cut inside the strip data and keep the IFD.
            var cut = file.EndsWith(".tif") ? CutTiffStrips(whole) : whole[..(whole.Length * 2 / 3)];
            var e = Record.Exception(() => ImageDecoder.Decode(cut, name));
            log.WriteLine($"{name}: {e?.Message ?? "decoded"}");
            if (e is not ImageDecodeException d || d.Reason != DecodeFailureReason.Truncated || !d.Message.Contains(name))
                problems.Add($"{name}: {e?.ToString() ?? "decoded"}");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Huge_headers_are_refused_before_allocating()
    {
        var tga = new byte[18 + 16];
        tga[2] = 2; tga[16] = 24;
        BinaryPrimitives.WriteUInt16LittleEndian(tga.AsSpan(12), 65535);
        BinaryPrimitives.WriteUInt16LittleEndian(tga.AsSpan(14), 65535);
        var pnm = Encoding.ASCII.GetBytes("P6\n# huge\n200000 300000\n255\n" + new string('x', 64));
        var tiff = HugeTiff(60000, 60000);
        var pages = ManyPageTiff();
        foreach (var (data, name) in new[] { (tga, "huge.tga"), (pnm, "huge.ppm"), (tiff, "huge.tif"), (pages, "pages.tif") })
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(data, name));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            log.WriteLine($"{e.Message} ({allocated} bytes allocated)");
            Assert.Equal(DecodeFailureReason.TooLarge, e.Reason);
            Assert.Contains(name, e.Message);
            Assert.True(allocated < 1 << 20, $"{name}: {allocated} bytes allocated before refusing");
        }
    }

    [Fact]
    public void Text_and_random_bytes_are_not_taken_for_TGA()
    {
        Assert.Equal(ImageFormat.Unknown, ImageFormats.Detect("Hello, world! This is a text file.\n"u8));
        var rng = new Random(13);
        int tga = 0;
        var buf = new byte[64];
        for (int i = 0; i < 100_000; i++) { rng.NextBytes(buf); if (ImageFormats.Detect(buf) == ImageFormat.Tga) tga++; }
        log.WriteLine($"{tga} of 100000 random 64-byte blocks pass as a TGA header");
        Assert.True(tga < 100, $"{tga} random blocks detected as TGA");
    }

    // Conformance files written by others (../shared): Go's x/image TIFF suite and libwebp's TIFF/PPM/PGM inputs.
    // Where PIL decodes a file we must produce its pixels exactly or refuse it with the typed exception (counted
    // and shown); where PIL refuses it, only a typed refusal is acceptable. Nothing may escape untyped.
    [SharedFact("testdata/decoders/go_x_image_testdata", "testdata/decoders/libwebp_test_data")]
    public void Conformance_suites_decode_like_PIL_or_refuse_cleanly()
    {
        if (PilCases.SkipReason is { } why) { log.WriteLine("PIL absent, typed-refusal check only: " + why); }
        var files = Corpus.Files("go_x_image_testdata", "*.tiff")
            .Concat(Corpus.Files("libwebp_test_data", "*.tiff")).Concat(Corpus.Files("libwebp_test_data", "*.p?m"))
            .Concat(Corpus.Files("libjpeg_turbo_testimages", "*.ppm")).ToArray();
        var dir = Directory.CreateTempSubdirectory("gpusearch-conformance-").FullName;
        if (PilCases.SkipReason is null) log.WriteLine(PilCases.ExpectFromPil(dir, files));
        int exact = 0, refused = 0;
        var problems = new List<string>();
        foreach (var f in files)
        {
            var expect = Path.Combine(dir, Path.GetFileName(f) + ".rgb");
            var e = Record.Exception(() =>
            {
                var img = ImageDecoder.DecodeFile(f);
                if (!File.Exists(expect)) { log.WriteLine($"{Path.GetFileName(f)}: decoded {img.Width}x{img.Height}; PIL refuses it"); return; }
                var pil = File.ReadAllBytes(expect);
                int diff = pil.Length == img.PixelArray.Length ? CountDiffs(img.PixelArray, pil) : -1;
                if (diff == 0) exact++;
                else problems.Add($"{Path.GetFileName(f)}: {(diff < 0 ? "size differs from PIL" : $"{diff} samples differ from PIL")}");
            });
            if (e is ImageDecodeException d) { refused++; log.WriteLine($"refused: {d.Message}"); }
            else if (e is not null) problems.Add($"{Path.GetFileName(f)}: untyped {e}");
        }
        log.WriteLine($"{files.Length} files: {exact} identical to PIL, {refused} refused with ImageDecodeException");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    // ImageSharp 2.1 has reported flaws with crafted images: mutated TIFF/TGA/PNM files (fixed seed; byte flips,
    // header fields set to extremes, cuts) must each decode or throw ImageDecodeException, and quickly.
    [PilFact]
    public void Mutated_files_decode_or_throw_typed()
    {
        var rng = new Random(1313);
        var problems = new List<string>();
        int decoded = 0, refused = 0;
        for (int round = 0; round < 300; round++)
        {
            var (file, _) = Cases[round % Cases.Length];
            var d = File.ReadAllBytes(Path.Combine(PilCases.Dir, file));
            int edits = 1 + rng.Next(4);
            for (int e = 0; e < edits; e++)
            {
                int at = rng.Next(Math.Min(d.Length, rng.Next(2) == 0 ? 64 : d.Length)); // headers get half the hits
                d[at] = rng.Next(3) switch { 0 => (byte)rng.Next(256), 1 => 0xFF, _ => 0 };
            }
            if (rng.Next(5) == 0) d = d[..rng.Next(1, d.Length)];
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var ex = Record.Exception(() => ImageDecoder.Decode(d, $"mutant{round}-{file}"));
            if (ex is null) decoded++;
            else if (ex is ImageDecodeException) refused++;
            else problems.Add($"mutant{round}-{file}: untyped {ex.GetType().Name}: {ex.Message}");
            if (sw.Elapsed > TimeSpan.FromSeconds(10)) problems.Add($"mutant{round}-{file}: took {sw.Elapsed.TotalSeconds:F1} s");
        }
        log.WriteLine($"300 mutants: {decoded} decoded, {refused} refused with ImageDecodeException");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static int CountDiffs(byte[] a, byte[] b)
    {
        int n = 0;
        for (int i = 0; i < a.Length; i++) if (a[i] != b[i]) n++;
        return n;
    }

    // With the IFD first (uncompressed files from PIL), cuts the tail. With the IFD last, drops the second half of
    // the strip bytes before it, shifting it down (its offset in the header is patched): either way the IFD now
    // describes strips that run past the end.
    private static byte[] CutTiffStrips(byte[] t)
    {
        uint ifd = BinaryPrimitives.ReadUInt32LittleEndian(t.AsSpan(4));
        if (ifd < t.Length / 2) return t[..(t.Length * 2 / 3)];
        int cutFrom = 8 + (int)(ifd - 8) / 2, removed = (int)ifd - cutFrom;
        var r = t[..cutFrom].Concat(t[(int)ifd..]).ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(4), (uint)cutFrom);
        // Offsets stored in the IFD past the cut point are not shifted, so the strip table now points past the end
        // or at the IFD itself; whichever, the declared strips no longer fit the file.
        return r;
    }

    private static byte[] HugeTiff(int w, int h) => Tiff([(w, h)]);

    private static byte[] ManyPageTiff() => Tiff(Enumerable.Repeat((8000, 8000), 40).ToArray());

    // Little-endian TIFF: one IFD per page with width, height, one strip of one byte (the strips are not checked
    // against the size: the refusal comes first).
    private static byte[] Tiff((int W, int H)[] pages)
    {
        const int entries = 4, ifdSize = 2 + 12 * entries + 4;
        var b = new byte[8 + ifdSize * pages.Length + 1];
        "II*\0"u8.CopyTo(b);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), 8);
        int data = b.Length - 1;
        for (int p = 0; p < pages.Length; p++)
        {
            int o = 8 + ifdSize * p;
            BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(o), entries);
            void Entry(int i, ushort tag, uint value)
            {
                int e = o + 2 + 12 * i;
                BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(e), tag);
                BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(e + 2), 4);
                BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(e + 4), 1);
                BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(e + 8), value);
            }
            Entry(0, 256, (uint)pages[p].W);
            Entry(1, 257, (uint)pages[p].H);
            Entry(2, 273, (uint)data);
            Entry(3, 279, 1);
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(o + 2 + 12 * entries), p + 1 < pages.Length ? (uint)(o + ifdSize) : 0);
        }
        return b;
    }
}
