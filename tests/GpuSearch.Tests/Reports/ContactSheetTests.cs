// Thumbnails (box-filter downscale, JPEG encoding) and the HTML contact sheet: JPEGs decode back through our own
// decoder; each distinct image is embedded once and referenced from every cell that shows it.
using GpuSearch.Imaging;
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
    public void ThumbnailJpegDecodesToTheSameSizeAndCloseColours(int w, int h)
    {
        var rgb = Gradient(w, h);
        var jpeg = ThumbnailEncoder.Jpeg(new RgbImage(w, h, rgb));
        var back = ImageDecoder.Decode(jpeg, "thumb.jpg");
        Assert.Equal((ImageFormat.Jpeg, w, h), (back.Format, back.Width, back.Height));
        if (w * h < 1000) return; // a few pixels of steep gradient: 4:2:0 chroma has nothing to average over
        double sum = 0;
        for (int i = 0; i < rgb.Length; i++) sum += Math.Abs(rgb[i] - back.PixelArray[i]);
        Assert.True(sum / rgb.Length < 4, $"mean abs difference {sum / rgb.Length:F2} levels");
        Assert.True(jpeg.Length < rgb.Length / 4, $"{jpeg.Length} bytes for {rgb.Length} bytes of pixels");
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
        Assert.Equal(2, html.Split("data:image/jpeg;base64,").Length - 1); // query thumb + one neighbour thumb
        Assert.DoesNotContain("http", html); // nothing fetched from anywhere: viewable offline
        Assert.Contains("href=\"file:///db/x&amp;y.png\"", html); // the full image is a click away
    }

    [Fact]
    public void Each_image_is_embedded_once_however_often_it_appears()
    {
        var a = Thumbnail.Fit(Gradient(40, 30), 40, 30, 16);
        var b = Thumbnail.Fit(Gradient(30, 40), 30, 40, 16);
        // a is a query and the other query's neighbour; b is a query and a neighbour of both.
        var rows = new[]
        {
            new SheetRow("/p/a.jpg", a, [new SheetNeighbour(2, "/p/b.jpg", 0.9f, b)]),
            new SheetRow("/p/b.jpg", b, [new SheetNeighbour(1, "/p/a.jpg", 0.9f, a), new SheetNeighbour(2, "/p/b.jpg", 1f, b)]),
        };
        var sw = new StringWriter();
        ContactSheet.Write(sw, "dups", rows);
        var html = sw.ToString();
        Assert.Equal(2, html.Split("data:image/jpeg;base64,").Length - 1);
        Assert.Equal(2, html.Split("class=\"th t0\"").Length - 1);
        Assert.Equal(3, html.Split("class=\"th t1\"").Length - 1);
        Assert.Contains(".t1{width:12px;height:16px;", html);
    }
}
