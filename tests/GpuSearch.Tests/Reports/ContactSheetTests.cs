// PNG encoder, thumbnails and the HTML contact sheet. The PNG is checked by decoding it with our own
// reading of its structure (chunk CRCs, IHDR fields, inflated pixel bytes).
using System.Buffers.Binary;
using System.IO.Compression;
using GpuSearch.Reports;

namespace GpuSearch.Tests.Reports;

public sealed class ContactSheetTests
{
    private static byte[] Gradient(int w, int h)
    {
        var rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = (y * w + x) * 3;
                rgb[i] = (byte)(x * 255 / Math.Max(1, w - 1));
                rgb[i + 1] = (byte)(y * 255 / Math.Max(1, h - 1));
                rgb[i + 2] = 77;
            }
        return rgb;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 3)]
    [InlineData(130, 61)]
    public void PngRoundTripsThroughItsOwnStructure(int w, int h)
    {
        var rgb = Gradient(w, h);
        var png = PngEncoder.EncodeRgb(rgb, w, h);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10], png[..8]);
        int pos = 8;
        var idat = new MemoryStream();
        var types = new List<string>();
        while (pos < png.Length)
        {
            int len = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            var type = System.Text.Encoding.ASCII.GetString(png, pos + 4, 4);
            var crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos + 8 + len));
            Assert.Equal(PngEncoder.Crc32(0xFFFFFFFFu, png.AsSpan(pos + 4, 4 + len)) ^ 0xFFFFFFFFu, crc);
            if (type == "IEND") Assert.Equal(0xAE426082u, crc); // the CRC every PNG's IEND carries
            if (type == "IHDR")
            {
                Assert.Equal(w, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos + 8)));
                Assert.Equal(h, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos + 12)));
            }
            if (type == "IDAT") idat.Write(png, pos + 8, len);
            types.Add(type);
            pos += 12 + len;
        }
        Assert.Equal(["IHDR", "IDAT", "IEND"], types);
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        var raw = new MemoryStream();
        z.CopyTo(raw);
        var bytes = raw.ToArray();
        Assert.Equal(h * (1 + w * 3), bytes.Length);
        for (int y = 0; y < h; y++)
        {
            Assert.Equal(0, bytes[y * (1 + w * 3)]);
            Assert.Equal(rgb.AsSpan(y * w * 3, w * 3).ToArray(), bytes.AsSpan(y * (1 + w * 3) + 1, w * 3).ToArray());
        }
    }

    [Fact]
    public void ThumbnailKeepsAspectAndAveragesAreas()
    {
        // 4×2 image: left half black, right half white → 2×1 thumbnail: exactly black and white.
        var rgb = new byte[4 * 2 * 3];
        for (int y = 0; y < 2; y++)
            for (int x = 2; x < 4; x++)
                rgb[(y * 4 + x) * 3] = rgb[(y * 4 + x) * 3 + 1] = rgb[(y * 4 + x) * 3 + 2] = 255;
        var t = Thumbnail.Fit(rgb, 4, 2, 2);
        Assert.Equal((2, 1), (t.Width, t.Height));
        Assert.Equal(new byte[] { 0, 0, 0, 255, 255, 255 }, t.Rgb);
        // Never upscales.
        var same = Thumbnail.Fit(rgb, 4, 2, 100);
        Assert.Equal((4, 2), (same.Width, same.Height));
        var tall = Thumbnail.Fit(Gradient(50, 400), 50, 400, 128);
        Assert.Equal((16, 128), (tall.Width, tall.Height));
        Assert.Throws<ArgumentException>(() => Thumbnail.Fit(rgb, 5, 2, 2));
    }

    [Fact]
    public void SheetEmbedsThumbnailsAndEscapesText()
    {
        var thumb = Thumbnail.Fit(Gradient(40, 30), 40, 30, 16);
        var rows = new[]
        {
            new SheetRow("/q/a<b>.jpg", thumb, [new SheetNeighbour(7, "/db/x&y.png", 0.98771f, thumb), new SheetNeighbour(9, "/db/gone.png", 0.5f, null)]),
            new SheetRow("/q/bad.jpg", null, [], "truncated JPEG"),
        };
        var sw = new StringWriter();
        ContactSheet.Write(sw, "results", rows);
        var html = sw.ToString();
        Assert.Contains("a&lt;b&gt;.jpg", html);
        Assert.Contains("x&amp;y.png (id 7)", html);
        Assert.Contains("0.9877", html);
        Assert.Contains("unreadable", html);
        Assert.Contains("truncated JPEG", html);
        Assert.Equal(2, html.Split("data:image/png;base64,").Length - 1); // query thumb + one neighbour thumb
        Assert.DoesNotContain("http", html); // nothing fetched from anywhere: viewable offline
    }
}
