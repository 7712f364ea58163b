// Progressive JPEGs with thousands of scans are refused before decoding (TurboJPEG 2.1 has no scan limit of
// its own); scans are counted by walking markers, so an SOS inside an APP segment does not count.
using GpuSearch.Imaging;
using GpuSearch.Native.Jpeg;

namespace GpuSearch.Tests.Trust;

public sealed class JpegScanLimitTests
{
    private static byte[] Progressive() => File.ReadAllBytes(Path.Combine(Support.SharedData.RepoRoot,
        "tests", "GpuSearch.Tests", "Fixtures", "decode", "generated", "prog444.jpg"));

    /// <summary>Offset of the last SOS marker (a plain byte search, independent of the counter under test).</summary>
    private static int LastSos(byte[] d)
    {
        for (int i = d.Length - 2; i > 2; i--) if (d[i] == 0xFF && d[i + 1] == 0xDA) return i;
        throw new InvalidOperationException("no SOS");
    }

    /// <summary>The file with its last scan (header and entropy data) repeated <paramref name="extra"/> more times.</summary>
    private static byte[] WithRepeatedLastScan(byte[] jpeg, int extra)
    {
        int sos = LastSos(jpeg), eoi = jpeg.Length - 2;
        var scan = jpeg[sos..eoi];
        using var ms = new MemoryStream();
        ms.Write(jpeg, 0, eoi);
        for (int i = 0; i < extra; i++) ms.Write(scan);
        ms.Write(jpeg, eoi, 2);
        return ms.ToArray();
    }

    [Fact]
    public void A_real_progressive_file_has_a_few_scans_and_decodes()
    {
        var jpeg = Progressive();
        Assert.InRange(JpegScanCount.Count(jpeg, 1000), 2, 100);
        Assert.True(ImageDecoder.Decode(jpeg, "prog444.jpg").Width > 0);
    }

    [Fact]
    public void Thousands_of_scans_are_refused_before_decoding()
    {
        var bomb = WithRepeatedLastScan(Progressive(), 1200);
        Assert.True(JpegScanCount.Count(bomb, int.MaxValue) > 1200);
        var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(bomb, "bomb.jpg"));
        Assert.Equal(DecodeFailureReason.TooLarge, e.Reason);
        Assert.Contains("MaxJpegScans", e.Message);
        // The limit is an option: raised above the count, the same file is not refused for its scans.
        var raised = Record.Exception(() => ImageDecoder.Decode(bomb, "bomb.jpg", new DecodeOptions { MaxJpegScans = 5000 }));
        Assert.False(raised is ImageDecodeException { Reason: DecodeFailureReason.TooLarge });
    }

    [Fact]
    public void An_sos_inside_an_app_segment_is_not_counted()
    {
        var jpeg = Progressive();
        int before = JpegScanCount.Count(jpeg, 1000);
        byte[] app = [0xFF, 0xE1, 0x00, 0x0A, 0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0xFF, 0xD9];
        var withApp = jpeg[..2].Concat(app).Concat(jpeg[2..]).ToArray();
        Assert.Equal(before, JpegScanCount.Count(withApp, 1000));
    }
}
