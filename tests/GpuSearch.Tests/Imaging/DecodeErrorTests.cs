// Bad input of every kind must come out as ImageDecodeException with a sensible reason: empty, random,
// text, truncated at many points, oversized headers (refused before allocating), unsupported formats.
using GpuSearch.Imaging;
using GpuSearch.Native;
using Xunit.Abstractions;

namespace GpuSearch.Tests.Imaging;

public sealed class DecodeErrorTests(ITestOutputHelper log)
{
    [Fact]
    public void Empty_data_is_Empty()
    {
        var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode([], "empty.jpg"));
        Assert.Equal(DecodeFailureReason.Empty, e.Reason);
        Assert.Equal("empty.jpg", e.Name);
        Assert.Contains("empty.jpg", e.Message);
    }

    [Fact]
    public void Random_bytes_and_text_are_NotAnImage()
    {
        var rng = new Random(1234);
        for (int i = 0; i < 200; i++)
        {
            var data = new byte[rng.Next(1, 4096)];
            rng.NextBytes(data);
            if (ImageFormatDetector.Detect(data) != ImageFormat.Unknown) continue;
            var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(data, "r.bin"));
            Assert.Equal(DecodeFailureReason.NotAnImage, e.Reason);
        }
        var t = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode("<html>not a picture</html>"u8, "page.png"));
        Assert.Equal(DecodeFailureReason.NotAnImage, t.Reason);
    }

    [Fact]
    public void Format_comes_from_magic_bytes_not_the_name()
    {
        Assert.Equal(ImageFormat.Tiff, ImageFormatDetector.Detect("II*\0abcdefgh"u8));
        var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode("MM\0*\0\0\0\x08"u8, "photo.jpg"));
        Assert.Equal((ImageFormat.Tiff, DecodeFailureReason.Truncated), (e.Format, e.Reason)); // IFD offset 8 = end of file
        Assert.Contains("photo.jpg", e.Message);
    }

    [Fact]
    public void Missing_library_is_named_not_a_crash()
    {
        var probe = NativeLibraryProbe.Load("libdoesnotexist", ["libdoesnotexist.so.9", "/nowhere/libdoesnotexist.so"]);
        Assert.False(probe.IsAvailable);
        Assert.Contains("libdoesnotexist.so.9", probe.UnavailableReason);
        var e = ImageLimits.Unavailable("a.png", ImageFormat.Png, probe.UnavailableReason);
        Assert.Equal(DecodeFailureReason.LibraryUnavailable, e.Reason);
        Assert.Contains("/nowhere/libdoesnotexist.so", e.Message);
        Assert.StartsWith("1.", GpuSearch.Native.Webp.WebpApi.Version()); // libwebp 1.x decoder ABI is what we bind
        foreach (var f in new[] { ImageFormat.Jpeg, ImageFormat.Png, ImageFormat.Webp, ImageFormat.Gif, ImageFormat.Bmp })
            Assert.True(ImageDecoder.IsAvailable(f, out var why), $"{f}: {why} (scripts/setup.sh installs the libraries)");
    }

    // A header claiming a huge image is refused from the header alone: the attempt allocates almost nothing.
    [Fact]
    public void Oversized_headers_are_refused_before_allocating()
    {
        var bmp = new byte[54];
        "BM"u8.CopyTo(bmp);
        BitConverter.TryWriteBytes(bmp.AsSpan(10), 54); BitConverter.TryWriteBytes(bmp.AsSpan(14), 40);
        BitConverter.TryWriteBytes(bmp.AsSpan(18), 60000); BitConverter.TryWriteBytes(bmp.AsSpan(22), 60000);
        BitConverter.TryWriteBytes(bmp.AsSpan(26), (short)1); BitConverter.TryWriteBytes(bmp.AsSpan(28), (short)24);
        var gif = "GIF89a"u8.ToArray().Concat(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0x2C, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 8, 0 }).ToArray();
        foreach (var (data, name) in new[] { (bmp, "huge.bmp"), (gif, "huge.gif") })
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(data, name));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(DecodeFailureReason.TooLarge, e.Reason);
            Assert.True(allocated < 1 << 20, $"{name}: allocated {allocated} bytes before refusing");
        }
    }

    // The native formats too: real files with their header dimensions patched to ~16k x 16k. The libraries read
    // only the header before we refuse, so the managed heap barely moves (and no 768 MB buffer is attempted).
    [SharedFact("testdata/decoders/go_x_image_testdata", "testdata/decoders/go_image_testdata")]
    public void Oversized_native_headers_are_refused_before_allocating()
    {
        var jpeg = File.ReadAllBytes(Path.Combine(Corpus.Dir("go_image_testdata"), "video-001.jpeg"));
        int sof = jpeg.AsSpan().IndexOf(new byte[] { 0xFF, 0xC0 });
        jpeg[sof + 5] = 0x40; jpeg[sof + 6] = 0x00; jpeg[sof + 7] = 0x40; jpeg[sof + 8] = 0x00; // 16384 x 16384

        var png = File.ReadAllBytes(Path.Combine(Corpus.Dir("go_image_testdata"), "video-001.png"));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(16), 16384);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(20), 16384);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), Crc32(png.AsSpan(12, 17))); // IHDR CRC

        var webp = File.ReadAllBytes(Path.Combine(Corpus.Dir("go_x_image_testdata"), "video-001.lossy.webp"));
        Assert.True(webp.AsSpan(12, 4).SequenceEqual("VP8 "u8), "expected a simple-format lossy WebP");
        webp[26] = 0xFF; webp[27] = 0x3F; webp[28] = 0xFF; webp[29] = 0x3F;                     // 16383 x 16383

        foreach (var (data, name) in new[] { (jpeg, "huge.jpeg"), (png, "huge.png"), (webp, "huge.webp") })
        {
            try { ImageDecoder.Decode(data, name); } catch (ImageDecodeException) { } // JIT and library load, unmeasured
            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(data, name));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(DecodeFailureReason.TooLarge, e.Reason);
            Assert.True(allocated < data.Length + (1 << 20), $"{name}: allocated {allocated} bytes before refusing");
            log.WriteLine($"{e.Message} (allocated {allocated} bytes)");
        }
    }

    /// <summary>CRC-32 (ISO-HDLC, the PNG chunk CRC), bitwise: tests only.</summary>
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (var b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return ~c;
    }

    [SharedFact("testdata/decoders/go_x_image_testdata", "testdata/decoders/go_image_testdata")]
    public void MaxPixels_applies_to_every_format()
    {
        var small = new DecodeOptions { MaxPixels = 1000 };
        foreach (var f in SampleFiles())
        {
            var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.DecodeFile(f, small));
            Assert.Equal(DecodeFailureReason.TooLarge, e.Reason);
        }
    }

    // Cutting a file anywhere inside its image data must fail with the typed exception (never decode
    // silently, never throw anything else).
    [SharedFact("testdata/decoders/go_x_image_testdata", "testdata/decoders/go_image_testdata")]
    public void Truncations_of_each_format_throw_ImageDecodeException()
    {
        foreach (var f in SampleFiles())
        {
            var full = File.ReadAllBytes(f);
            foreach (var frac in new[] { 0.0, 0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.97 })
            {
                int len = Math.Max(1, (int)(full.Length * frac));
                var cut = full.AsSpan(0, len).ToArray();
                var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(cut, $"{Path.GetFileName(f)}[..{len}]"));
                log.WriteLine(e.Message);
            }
        }
    }

    private static IEnumerable<string> SampleFiles()
    {
        var x = Corpus.Dir("go_x_image_testdata");
        var g = Corpus.Dir("go_image_testdata");
        yield return Path.Combine(g, "video-001.jpeg");
        yield return Path.Combine(g, "video-001.progressive.jpeg");
        yield return Path.Combine(g, "video-001.png");
        yield return Path.Combine(g, "video-001.gif");
        yield return Path.Combine(x, "video-001.bmp");
        yield return Path.Combine(x, "video-001.lossy.webp");
        yield return Path.Combine(x, "yellow_rose.lossless.webp");
        yield return Path.Combine(x, "yellow_rose.lossy-with-alpha.webp");
    }
}
