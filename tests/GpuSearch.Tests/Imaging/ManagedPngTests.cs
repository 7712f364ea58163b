// The managed PNG fast path against libpng: on every PNG of every corpus (valid, corrupt and fuzzed) it either
// declines or returns libpng's pixels byte for byte; on files written here with each filter, colour type and bit
// depth it returns the pixels that were encoded; and every kind of damage makes it decline, so libpng words the error.
using System.Buffers.Binary;
using System.IO.Compression;
using GpuSearch.Imaging;
using GpuSearch.Imaging.Png;
using GpuSearch.Native.Png;
using GpuSearch.Tests.Support;
using Xunit.Abstractions;

namespace GpuSearch.Tests.Imaging;

public sealed class ManagedPngTests(ITestOutputHelper log)
{
    private static readonly DecodeOptions Options = new();

    [SharedFact("testdata/decoders")]
    public void On_every_corpus_png_the_fast_path_declines_or_equals_libpng()
    {
        var files = new[] { "pngsuite_full", "libpng_contrib", "go_image_testdata", "go_fuzz_corpus" }
            .Where(d => Directory.Exists(Path.Combine(Corpus.Dir(""), d)))
            .SelectMany(d => Corpus.Files(d, "*", recursive: true))
            .Where(f => File.ReadAllBytes(f) is { Length: >= 8 } b && b.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }))
            .ToArray();
        int same = 0, declined = 0, libpngFailed = 0;
        var problems = new List<string>();
        foreach (var f in files)
        {
            var data = File.ReadAllBytes(f);
            bool fast = ManagedPngDecoder.TryDecode(data, f, Options, out var mine, out var myExif);
            PixelBuffer? reference = null;
            byte[]? exif = null;
            try { reference = PngDecoder.DecodeWithLibpng(data, f, Options, out exif); }
            catch (ImageDecodeException) { libpngFailed++; }
            if (!fast) { declined++; continue; }
            if (reference is not { } r) { problems.Add($"{f}: the fast path decoded a file libpng refuses"); continue; }
            if ((mine.Width, mine.Height, mine.Channels) != (r.Width, r.Height, r.Channels))
                problems.Add($"{f}: {mine.Width}x{mine.Height}x{mine.Channels}, libpng {r.Width}x{r.Height}x{r.Channels}");
            else if (!mine.Data.AsSpan().SequenceEqual(r.Data))
                problems.Add($"{f}: pixels differ from libpng's");
            else if (!(myExif ?? []).AsSpan().SequenceEqual(exif ?? []))
                problems.Add($"{f}: eXIf differs");
            else same++;
        }
        log.WriteLine($"{files.Length} PNG files: {same} decoded by the fast path equal to libpng, {declined} declined; libpng refused {libpngFailed}");
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(20)));
        Assert.True(same >= 150, $"the fast path decoded only {same} corpus files"); // not a suite that tests nothing
    }

    public static TheoryData<int, int, int> Layouts => new()
    {
        // colour type, bit depth, width (odd widths leave low-bit rows with a partial last byte)
        { 0, 1, 13 }, { 0, 2, 11 }, { 0, 4, 7 }, { 0, 8, 9 }, { 2, 8, 9 }, { 3, 1, 13 }, { 3, 2, 11 }, { 3, 4, 7 },
        { 3, 8, 9 }, { 4, 8, 9 }, { 6, 8, 9 },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Every_filter_colour_type_and_depth_decodes_to_the_encoded_pixels_and_to_libpngs(int type, int depth, int width)
    {
        const int height = 10; // rows cycle through filters 0–4 twice
        var rng = new Random(type * 100 + depth);
        int channels = type switch { 0 or 3 => 1, 2 => 3, 4 => 2, _ => 4 };
        int entries = type == 3 ? Math.Min(1 << depth, 200) : 0;
        var samples = new int[height, width * channels];
        for (int y = 0; y < height; y++)
            for (int i = 0; i < width * channels; i++) samples[y, i] = rng.Next(type == 3 ? entries : 1 << depth);
        var palette = Enumerable.Range(0, entries * 3).Select(_ => (byte)rng.Next(256)).ToArray();
        var alphas = type == 3 && depth >= 4 ? Enumerable.Range(0, entries / 2).Select(_ => (byte)rng.Next(256)).ToArray() : null;
        var png = PngWriter.Write(width, height, type, depth, samples, y => y % 5, palette.Length > 0 ? palette : null, alphas);

        Assert.True(ManagedPngDecoder.TryDecode(png, "t.png", Options, out var px, out _), "the fast path declined a clean file");
        var libpng = PngDecoder.DecodeWithLibpng(png, "t.png", Options, out _);
        Assert.Equal(libpng.Channels, px.Channels);
        Assert.Equal(libpng.Data, px.Data);
        // And the pixels that were written, expanded as the simplified API does.
        int scale = 255 / ((1 << depth) - 1);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                var o = px.Data.AsSpan((y * width + x) * px.Channels, px.Channels);
                byte[] want = type switch
                {
                    0 => [.. Enumerable.Repeat((byte)(samples[y, x] * scale), 3)],
                    2 => [(byte)samples[y, 3 * x], (byte)samples[y, 3 * x + 1], (byte)samples[y, 3 * x + 2]],
                    3 => [palette[3 * samples[y, x]], palette[3 * samples[y, x] + 1], palette[3 * samples[y, x] + 2],
                        .. alphas is null ? Array.Empty<byte>() : [samples[y, x] < alphas.Length ? alphas[samples[y, x]] : (byte)255]],
                    4 => [(byte)samples[y, 2 * x], (byte)samples[y, 2 * x], (byte)samples[y, 2 * x], (byte)samples[y, 2 * x + 1]],
                    _ => [.. Enumerable.Range(0, 4).Select(c => (byte)samples[y, 4 * x + c])],
                };
                Assert.True(o.SequenceEqual(want), $"pixel ({x},{y}): {string.Join(",", o.ToArray())}, want {string.Join(",", want)}");
            }
    }

    public static TheoryData<string> Damages => new() { "crc", "filter", "index", "truncated zlib", "no Adler-32", "extra data", "no IEND", "interlaced", "16-bit", "grey tRNS" };

    [Theory]
    [MemberData(nameof(Damages))]
    public void Damaged_or_uncovered_files_are_left_to_libpng(string damage)
    {
        int w = 6, h = 4;
        var samples = new int[h, w];
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) samples[y, x] = (x + y) % 4;
        byte[] palette = [.. Enumerable.Range(0, 12).Select(i => (byte)(i * 20))];
        var png = damage switch
        {
            "filter" => PngWriter.Write(w, h, 3, 8, samples, y => y == 2 ? 5 : 0, palette),
            "index" => PngWriter.Write(w, h, 3, 8, Fill(h, w, 4), _ => 0, palette),
            "truncated zlib" => PngWriter.Write(w, h, 3, 8, samples, _ => 0, palette, zlib: z => z[..(z.Length / 2)]),
            "no Adler-32" => PngWriter.Write(w, h, 3, 8, samples, _ => 0, palette, zlib: z => z[..^4]),
            "extra data" => PngWriter.Write(w, h, 3, 8, samples, _ => 0, palette, extraRow: true),
            "interlaced" => PngWriter.Write(w, h, 3, 8, samples, _ => 0, palette, interlace: 1),
            "16-bit" => PngWriter.Write(w, h, 0, 16, samples, _ => 0, null),
            "grey tRNS" => PngWriter.Write(w, h, 0, 8, samples, _ => 0, null, alphas: [0, 1]),
            _ => PngWriter.Write(w, h, 3, 8, samples, _ => 0, palette),
        };
        if (damage == "crc") png[^14] ^= 1; // a byte of the last IDAT chunk's CRC
        if (damage == "no IEND") png = png[..^12];
        Assert.False(ManagedPngDecoder.TryDecode(png, "d.png", Options, out _, out _));
    }

    [Fact]
    public void Mutants_with_mended_CRCs_are_declined_or_decode_as_libpng_does()
    {
        // Byte changes inside chunks with their CRCs recomputed, so they get past the chunk walk into the header
        // checks, the inflate, the filters and the palette lookups: the fast path must decline, or throw only the
        // decode exception, or return exactly what libpng returns.
        var rng = new Random(2026);
        var seeds = Layouts.Select(l =>
        {
            int type = (int)l[0], depth = (int)l[1], width = (int)l[2];
            int channels = type switch { 2 => 3, 4 => 2, 6 => 4, _ => 1 };
            return type == 3 && depth == 8 // 200 of 256 entries, 100 with alpha: room for indices past the end
                ? PngWriter.Write(width, 10, 3, 8, RandomSamples(rng, 10, width, 200), y => y % 5, RandomBytes(rng, 600), RandomBytes(rng, 100))
                : PngWriter.Write(width, 10, type, depth, RandomSamples(rng, 10, width * channels, 1 << depth), y => y % 5,
                    type == 3 ? RandomBytes(rng, 3 << depth) : null);
        }).ToArray();
        int decoded = 0, declined = 0;
        for (int m = 0; m < 3000; m++)
        {
            var png = (byte[])seeds[m % seeds.Length].Clone();
            var chunks = ChunkStarts(png);
            var (start, length) = chunks[rng.Next(chunks.Count)];
            for (int k = rng.Next(1, 4); k > 0 && length > 0; k--) png[start + 8 + rng.Next(length)] = (byte)rng.Next(256);
            BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(start + 8 + length), ~TestPng.Crc32(0xFFFFFFFFu, png.AsSpan(start + 4, 4 + length)));
            bool fast;
            PixelBuffer mine;
            try { fast = ManagedPngDecoder.TryDecode(png, "m.png", Options, out mine, out _); }
            catch (ImageDecodeException) { continue; }
            if (!fast) { declined++; continue; }
            var reference = PngDecoder.DecodeWithLibpng(png, "m.png", Options, out _); // throws if libpng refuses what we decoded
            Assert.Equal(reference.Channels, mine.Channels);
            Assert.True(reference.Data.AsSpan().SequenceEqual(mine.Data), $"mutant {m}: pixels differ from libpng's");
            decoded++;
        }
        log.WriteLine($"3000 mutants: {decoded} decoded equal to libpng, {declined} declined");
        Assert.True(decoded > 100 && declined > 100, $"{decoded} decoded, {declined} declined: the mutants do not reach both outcomes");
    }

    private static int[,] RandomSamples(Random rng, int h, int w, int max)
    {
        var a = new int[h, w];
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) a[y, x] = rng.Next(max);
        return a;
    }

    private static byte[] RandomBytes(Random rng, int n)
    {
        var b = new byte[n];
        rng.NextBytes(b);
        return b;
    }

    // (offset of the length field, data length) of every chunk.
    private static List<(int Start, int Length)> ChunkStarts(byte[] png)
    {
        var list = new List<(int, int)>();
        for (int pos = 8; pos + 12 <= png.Length;)
        {
            int len = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            list.Add((pos, len));
            pos += 12 + len;
        }
        return list;
    }

    [Fact]
    public void Dimensions_over_the_limit_throw_before_any_pixel_memory()
    {
        var png = PngWriter.Write(300, 2, 2, 8, new int[2, 900], _ => 0, null);
        var e = Assert.Throws<ImageDecodeException>(() => ManagedPngDecoder.TryDecode(png, "big.png", new DecodeOptions { MaxPixels = 100 }, out _, out _));
        Assert.Equal(DecodeFailureReason.TooLarge, e.Reason);
    }

    [Fact]
    public void Adler32_matches_the_checksum_zlib_writes_for_every_length_and_content()
    {
        var rng = new Random(7);
        foreach (int n in new[] { 0, 1, 31, 32, 33, 5535, 5536, 5537, 20000, 100003 })
            foreach (var fill in new Func<int, byte>[] { _ => 255, _ => 0, _ => (byte)rng.Next(256) })
            {
                var data = Enumerable.Range(0, n).Select(fill).ToArray();
                var z = new MemoryStream();
                using (var zs = new ZLibStream(z, CompressionLevel.Fastest, leaveOpen: true)) zs.Write(data);
                var adler = Adler32.Create();
                // Fed in uneven pieces, as rows arrive.
                for (int at = 0; at < n; at += 777) adler.Add(data.AsSpan(at, Math.Min(777, n - at)));
                var stream = z.ToArray(); // .NET writes no stream at all for no data; Adler-32 of nothing is 1
                Assert.Equal(n == 0 ? 1u : BinaryPrimitives.ReadUInt32BigEndian(stream.AsSpan(stream.Length - 4)), adler.Value);
            }
    }

    private static int[,] Fill(int h, int w, int v)
    {
        var a = new int[h, w];
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) a[y, x] = v;
        return a;
    }

    /// <summary>A PNG writer for tests: any colour type and depth, a chosen filter per row, optional damage.</summary>
    private static class PngWriter
    {
        public static byte[] Write(int width, int height, int type, int depth, int[,] samples, Func<int, int> filterOf, byte[]? palette,
            byte[]? alphas = null, Func<byte[], byte[]>? zlib = null, bool extraRow = false, int interlace = 0)
        {
            int channels = type switch { 0 or 3 => 1, 2 => 3, 4 => 2, _ => 4 };
            int rowBytes = (width * channels * depth + 7) / 8, bpp = Math.Max(1, channels * depth / 8);
            var raw = new MemoryStream();
            var prev = new byte[rowBytes];
            for (int y = 0; y < height + (extraRow ? 1 : 0); y++)
            {
                var row = new byte[rowBytes];
                for (int i = 0; i < width * channels; i++)
                {
                    int v = samples[Math.Min(y, height - 1), i];
                    if (depth == 16) { row[2 * i + 1] = (byte)v; continue; }
                    int bit = i * depth;
                    row[bit / 8] |= (byte)(v << (8 - depth - bit % 8));
                }
                int f = filterOf(y);
                raw.WriteByte((byte)f);
                for (int i = 0; i < rowBytes; i++)
                {
                    int a = i >= bpp ? row[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
                    int pred = f switch { 1 => a, 2 => b, 3 => (a + b) / 2, 4 => Paeth(a, b, c), _ => 0 };
                    raw.WriteByte((byte)(row[i] - pred));
                }
                prev = row;
            }
            var z = new MemoryStream();
            using (var zs = new ZLibStream(z, CompressionLevel.Optimal, leaveOpen: true)) zs.Write(raw.ToArray());
            var compressed = zlib is null ? z.ToArray() : zlib(z.ToArray());

            var png = new MemoryStream();
            png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
            var ihdr = new byte[13];
            BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
            BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
            (ihdr[8], ihdr[9], ihdr[12]) = ((byte)depth, (byte)type, (byte)interlace);
            Chunk(png, "IHDR", ihdr);
            if (palette is not null) Chunk(png, "PLTE", palette);
            if (alphas is not null) Chunk(png, "tRNS", type == 3 ? alphas : [0, alphas[0]]);
            // Two IDAT chunks: the fast path must join them.
            Chunk(png, "IDAT", compressed[..(compressed.Length / 2)]);
            Chunk(png, "IDAT", compressed[(compressed.Length / 2)..]);
            Chunk(png, "IEND", []);
            return png.ToArray();
        }

        private static int Paeth(int a, int b, int c)
        {
            int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
            return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        }

        private static void Chunk(Stream s, string type, byte[] data)
        {
            Span<byte> n = stackalloc byte[4];
            BinaryPrimitives.WriteInt32BigEndian(n, data.Length);
            s.Write(n);
            var typeBytes = System.Text.Encoding.ASCII.GetBytes(type);
            s.Write(typeBytes);
            s.Write(data);
            BinaryPrimitives.WriteUInt32BigEndian(n, ~TestPng.Crc32(TestPng.Crc32(0xFFFFFFFFu, typeBytes), data));
            s.Write(n);
        }
    }
}
