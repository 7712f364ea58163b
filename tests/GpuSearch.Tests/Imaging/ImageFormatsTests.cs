// The image-format registry is the only table of formats: every ImageFormat has exactly one entry with a MIME type
// and an extension, detection keeps its order (TGA, which has no signature, last), and the folder scan takes its
// extensions from it.
using GpuSearch.Imaging;

namespace GpuSearch.Tests.Imaging;

public sealed class ImageFormatsTests
{
    /// <summary>The smallest leading bytes each format's check accepts (TGA: an 18-byte uncompressed 24-bit header).</summary>
    internal static readonly (ImageFormat Format, byte[] Head)[] Heads =
    [
        (ImageFormat.Jpeg, [0xFF, 0xD8, 0xFF, 0xE0]),
        (ImageFormat.Png, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
        (ImageFormat.Webp, [.. "RIFF\0\0\0\0WEBPVP8 "u8]),
        (ImageFormat.Gif, [.. "GIF89a"u8]),
        (ImageFormat.Bmp, [(byte)'B', (byte)'M', 0, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0]),
        (ImageFormat.Tiff, [.. "II*\0\x08\0\0\0"u8]),
        (ImageFormat.Pnm, [.. "P6 1 1 255\n\0\0\0"u8]),
        (ImageFormat.Tga, [0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 24, 0]),
    ];

    [Fact]
    public void Every_format_but_Unknown_has_exactly_one_entry_with_a_MIME_type_and_extension()
    {
        foreach (var format in Enum.GetValues<ImageFormat>())
        {
            var entries = ImageFormats.All.Where(f => f.Format == format).ToArray();
            if (format == ImageFormat.Unknown) { Assert.Empty(entries); continue; }
            var entry = Assert.Single(entries);
            Assert.StartsWith("image/", entry.MimeType);
            Assert.Matches(@"^\.[a-z0-9]+$", entry.Extension);
            Assert.Contains(entry.Extension, entry.FolderExtensions);
            Assert.Same(entry, ImageFormats.Get(format));
        }
        Assert.Null(ImageFormats.Get(ImageFormat.Unknown));
    }

    [Fact]
    public void No_two_formats_claim_a_MIME_type_or_folder_extension()
    {
        Assert.Equal(ImageFormats.All.Count, ImageFormats.All.Select(f => f.MimeType).Distinct().Count());
        var exts = ImageFormats.All.SelectMany(f => f.FolderExtensions).ToArray();
        Assert.Equal(exts.Length, exts.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Equal(exts.Length, ImageFormats.FolderExtensions.Count);
    }

    [Fact]
    public void Each_minimal_head_is_detected_as_its_format()
    {
        Assert.Equal(Enum.GetValues<ImageFormat>().Length - 1, Heads.Length);
        foreach (var (format, head) in Heads) Assert.Equal(format, ImageFormats.Detect(head));
        Assert.Equal(ImageFormat.Unknown, ImageFormats.Detect("BM is how this text starts"u8));
        Assert.Equal(ImageFormat.Unknown, ImageFormats.Detect([]));
    }

    [Fact]
    public void TGA_which_has_no_signature_is_tried_last_and_no_head_matches_two_entries()
    {
        Assert.Equal(ImageFormat.Tga, ImageFormats.All[^1].Format);
        foreach (var (format, head) in Heads)
            Assert.Equal(format, Assert.Single(ImageFormats.All, f => f.Matches(head)).Format);
    }

    [Theory]
    [InlineData(ImageFormat.Tiff, "image/tiff", ".tif")]
    [InlineData(ImageFormat.Pnm, "image/x-portable-anymap", ".pnm")]
    [InlineData(ImageFormat.Tga, "image/x-tga", ".tga")]
    [InlineData(ImageFormat.Jpeg, "image/jpeg", ".jpg")]
    public void Head_maps_to_the_standard_MIME_type_and_extension(ImageFormat format, string mime, string ext)
    {
        var head = Heads.Single(h => h.Format == format).Head;
        Assert.Equal(mime, ImageFormats.MimeTypeOf(head));
        Assert.Equal(ext, ImageFormats.ExtensionOf(head));
    }

    [Fact]
    public void Unknown_bytes_get_octet_stream_and_img()
    {
        Assert.Equal("application/octet-stream", ImageFormats.MimeTypeOf("hello"u8));
        Assert.Equal(".img", ImageFormats.ExtensionOf("hello"u8));
    }

    [Fact]
    public void Folder_scan_takes_the_registered_extensions()
    {
        var dir = Directory.CreateTempSubdirectory("gpusearch-formats-").FullName;
        try
        {
            foreach (var name in new[] { "a.TIF", "b.pgm", "c.tga", "d.jfif", "notes.txt", "e.heic" })
                File.WriteAllBytes(Path.Combine(dir, name), [0]);
            string[] found = [.. ImageFiles.Expand([dir]).Select(p => Path.GetFileName(p))];
            Assert.Equal(new[] { "a.TIF", "b.pgm", "c.tga", "d.jfif" }, found);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
