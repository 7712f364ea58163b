// EXIF orientation: an APP1 segment built here (no exiftool needed) is spliced into a real JPEG, and the
// decoded pixels must be the unrotated ones moved as the orientation says — checked through an affine
// map fixed by where three corners go, which is written independently of the decoder's own code.
using System.Buffers.Binary;
using GpuSearch.Imaging;

namespace GpuSearch.Tests.Imaging;

public sealed class ExifOrientationTests
{
    /// <summary>Builds "FFE1 len Exif\0\0" + a big- or little-endian TIFF with one IFD0 entry: Orientation.</summary>
    internal static byte[] App1Orientation(int orientation, bool littleEndian)
    {
        var tiff = new byte[8 + 2 + 12 + 4];
        if (littleEndian) { "II"u8.CopyTo(tiff); BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(2), 42); BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(4), 8); }
        else { "MM"u8.CopyTo(tiff); BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(2), 42); BinaryPrimitives.WriteUInt32BigEndian(tiff.AsSpan(4), 8); }
        void U16(int o, int v) { if (littleEndian) BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(o), (ushort)v); else BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(o), (ushort)v); }
        void U32(int o, uint v) { if (littleEndian) BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(o), v); else BinaryPrimitives.WriteUInt32BigEndian(tiff.AsSpan(o), v); }
        U16(8, 1);               // one entry
        U16(10, 0x0112); U16(12, 3); U32(14, 1); U16(18, orientation); // SHORT, count 1, value left-justified
        U32(22, 0);              // no next IFD
        var body = "Exif\0\0"u8.ToArray().Concat(tiff).ToArray();
        var seg = new byte[4 + body.Length];
        seg[0] = 0xFF; seg[1] = 0xE1;
        BinaryPrimitives.WriteUInt16BigEndian(seg.AsSpan(2), (ushort)(body.Length + 2));
        body.CopyTo(seg, 4);
        return seg;
    }

    /// <summary>Inserts the segment right after SOI.</summary>
    internal static byte[] Splice(byte[] jpeg, byte[] segment) => [.. jpeg[..2], .. segment, .. jpeg[2..]];

    // Where the stored top-left, top-right and bottom-left corners land in the upright image, per EXIF 2.3
    // (and PIL's exif_transpose): (0,0) = top-left, (1,0) = top-right, (0,1) = bottom-left, (1,1) = bottom-right.
    private static readonly Dictionary<int, ((int, int) Tl, (int, int) Tr, (int, int) Bl)> Corners = new()
    {
        [1] = ((0, 0), (1, 0), (0, 1)), [2] = ((1, 0), (0, 0), (1, 1)), [3] = ((1, 1), (0, 1), (1, 0)),
        [4] = ((0, 1), (1, 1), (0, 0)), [5] = ((0, 0), (0, 1), (1, 0)), [6] = ((1, 0), (1, 1), (0, 0)),
        [7] = ((1, 1), (1, 0), (0, 1)), [8] = ((0, 1), (0, 0), (1, 1)),
    };

    [SharedFact("testdata/decoders/go_image_testdata/video-001.jpeg")]
    public void All_eight_orientations_are_applied()
    {
        var jpeg = File.ReadAllBytes(Corpus.File("go_image_testdata/video-001.jpeg"));
        var plain = ImageDecoder.Decode(jpeg, "plain");
        int w = plain.Width, h = plain.Height;
        for (int o = 1; o <= 8; o++)
        {
            foreach (var le in new[] { false, true })
            {
                var img = ImageDecoder.Decode(Splice(jpeg, App1Orientation(o, le)), $"o{o}");
                Assert.Equal(o, img.Orientation);
                bool swap = o >= 5;
                Assert.Equal(swap ? (h, w) : (w, h), (img.Width, img.Height));
                Assert.Equal((img.Width, img.Height), (img.OriginalWidth, img.OriginalHeight));
                var (tl, tr, bl) = Corners[o];
                int ow = img.Width - 1, oh = img.Height - 1;
                for (int y = 0; y < h; y += 7)
                    for (int x = 0; x < w; x += 5)
                    {
                        // Affine map: out = TL + x/(w-1)·(TR-TL) + y/(h-1)·(BL-TL), in output pixel units.
                        int ox = tl.Item1 * ow + (x * (tr.Item1 - tl.Item1) * ow) / (w - 1) + (y * (bl.Item1 - tl.Item1) * ow) / (h - 1);
                        int oy = tl.Item2 * oh + (x * (tr.Item2 - tl.Item2) * oh) / (w - 1) + (y * (bl.Item2 - tl.Item2) * oh) / (h - 1);
                        Assert.Equal(plain.GetPixel(x, y), img.GetPixel(ox, oy));
                    }
            }
        }
        // Switched off, the tag is ignored.
        var raw = ImageDecoder.Decode(Splice(jpeg, App1Orientation(6, false)), "o6", new DecodeOptions { ApplyExifOrientation = false });
        Assert.Equal((w, h, 1), (raw.Width, raw.Height, raw.Orientation));
    }

    [SharedFact("testdata/decoders/go_image_testdata/video-001.jpeg")]
    public void Dct_target_is_taken_upright()
    {
        var jpeg = File.ReadAllBytes(Corpus.File("go_image_testdata/video-001.jpeg")); // 150x103
        var img = ImageDecoder.Decode(Splice(jpeg, App1Orientation(6, false)), "o6", new DecodeOptions { MinTargetSize = (50, 70) });
        // Upright it is 103x150; 1/2 gives 52x75 ≥ 50x70, 3/8 would give 39x57.
        Assert.Equal((52, 75), (img.Width, img.Height));
        Assert.Equal((103, 150), (img.OriginalWidth, img.OriginalHeight));
    }

    [Fact]
    public void Broken_exif_reads_as_upright()
    {
        Assert.Equal(1, ExifOrientation.FromTiff("MM\0*\xff\xff\xff\xff"u8));
        Assert.Equal(1, ExifOrientation.FromTiff([]));
        Assert.Equal(6, ExifOrientation.FromTiff(App1Orientation(6, true).AsSpan(4)));
        Assert.Equal(1, ExifOrientation.FromTiff(App1Orientation(9, true).AsSpan(4)));
    }
}
