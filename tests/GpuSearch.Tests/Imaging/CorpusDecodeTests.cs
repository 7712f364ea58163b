// Conformance suites written by others (../shared/testdata/decoders): every valid file decodes, every
// deliberately broken one fails with ImageDecodeException and nothing else.
using GpuSearch.Imaging;
using Xunit.Abstractions;

namespace GpuSearch.Tests.Imaging;

public sealed class CorpusDecodeTests(ITestOutputHelper log)
{
    [SharedFact("testdata/decoders/pngsuite_full")]
    public void PngSuite_valid_files_decode_and_x_files_throw()
    {
        var files = Corpus.Files("pngsuite_full", "*.png", recursive: true);
        int ok = 0, rejected = 0;
        var problems = new List<string>();
        foreach (var f in files)
        {
            var name = Path.GetFileName(f);
            bool corrupt = name.StartsWith('x');
            try
            {
                var img = ImageDecoder.DecodeFile(f);
                if (corrupt) problems.Add($"{name}: decoded but is a corrupt test file");
                else if (img.Width <= 0 || img.PixelArray.Length != img.Width * img.Height * 3) problems.Add($"{name}: bad buffer");
                else ok++;
            }
            catch (ImageDecodeException e)
            {
                if (corrupt) rejected++;
                else problems.Add($"{name}: {e.Message}");
            }
        }
        log.WriteLine($"PngSuite: {ok} decoded, {rejected} corrupt files rejected, {files.Length} total");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.Equal(14, rejected);
    }

    [SharedFact("testdata/decoders/libpng_contrib")]
    public void Libpng_contrib_decodes_and_crashers_fail_cleanly()
    {
        var problems = new List<string>();
        int ok = 0;
        foreach (var f in Corpus.Files("libpng_contrib/pngsuite", "*.png", recursive: true)
                     .Concat(Corpus.Files("libpng_contrib/testpngs", "*.png")))
        {
            try { ImageDecoder.DecodeFile(f); ok++; }
            catch (ImageDecodeException e) { problems.Add(e.Message); }
        }
        int crashOk = 0, crashFailed = 0;
        foreach (var f in Corpus.Files("libpng_contrib/testpngs/crashers", "*.png"))
        {
            try { ImageDecoder.DecodeFile(f); crashOk++; }
            catch (ImageDecodeException e) { crashFailed++; log.WriteLine("crasher rejected: " + e.Message); }
        }
        log.WriteLine($"libpng contrib: {ok} decoded; crashers: {crashOk} decoded, {crashFailed} rejected cleanly");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [SharedFact("testdata/decoders/libjpeg_turbo_testimages")]
    public void Libjpeg_turbo_images_decode_except_12_bit()
    {
        foreach (var n in new[] { "testorig.jpg", "testimgint.jpg", "testimgari.jpg" })
        {
            var img = ImageDecoder.DecodeFile(Path.Combine(Corpus.Dir("libjpeg_turbo_testimages"), n));
            Assert.Equal((227, 149), (img.Width, img.Height));
        }
        // 12-bit JPEG: TurboJPEG 2.x is 8-bit only, and PIL cannot decode it either: a clean, typed refusal.
        var e = Assert.Throws<ImageDecodeException>(() =>
            ImageDecoder.DecodeFile(Path.Combine(Corpus.Dir("libjpeg_turbo_testimages"), "testorig12.jpg")));
        log.WriteLine(e.Message);
        Assert.Equal(DecodeFailureReason.Unsupported, e.Reason);
        foreach (var bmp in Corpus.Files("libjpeg_turbo_testimages", "*.bmp"))
        {
            var img = ImageDecoder.DecodeFile(bmp);
            log.WriteLine($"{Path.GetFileName(bmp)}: {img.Width}x{img.Height}");
        }
    }

    // Go's deliberately broken PNGs: bad CRC, missing IEND, palette index out of range, cut file, bad zlib.
    // CRC and zlib errors must be refused with the typed exception. A missing or cut IEND after complete image
    // data (invalid-noend, invalid-trunc: the file loses only IEND's last CRC byte), and palette indices past the
    // palette (shown black), are decoded by libpng, as by PIL.
    [SharedFact("testdata/decoders/go_image_testdata/png_testdata")]
    public void Go_invalid_pngs_are_refused()
    {
        foreach (var f in Corpus.Files("go_image_testdata/png_testdata", "invalid-*.png"))
        {
            var name = Path.GetFileName(f);
            var ex = Record.Exception(() => ImageDecoder.DecodeFile(f));
            log.WriteLine($"{name}: {ex?.Message ?? "decoded"}");
            if (name is "invalid-noend.png" or "invalid-trunc.png" or "invalid-palette.png") Assert.True(ex is null or ImageDecodeException, ex?.ToString());
            else Assert.IsType<ImageDecodeException>(ex);
        }
    }

    [SharedFact("testdata/decoders/giflib_pic")]
    public void Giflib_pictures_decode()
    {
        foreach (var f in Corpus.Files("giflib_pic", "*.gif"))
        {
            var img = ImageDecoder.DecodeFile(f);
            log.WriteLine($"{Path.GetFileName(f)}: {img.Width}x{img.Height} alpha={img.HadAlpha}");
        }
    }

    [SharedFact("testdata/decoders/libwebp_test_data")]
    public void Webp_conformance_streams_decode()
    {
        var problems = new List<string>();
        int ok = 0, refused = 0;
        foreach (var f in Corpus.Files("libwebp_test_data", "*.webp"))
        {
            try { ImageDecoder.DecodeFile(f); ok++; }
            catch (ImageDecodeException e)
            {
                // A few streams in the suite are deliberately invalid (e.g. bad_palette_index); libwebp's own
                // test list marks which decode. Count and show them; only non-typed failures are errors.
                refused++;
                log.WriteLine("refused: " + e.Message);
                if (!Path.GetFileName(f).StartsWith("bad", StringComparison.Ordinal) && !KnownInvalidWebp.Contains(Path.GetFileName(f)))
                    problems.Add(e.Message);
            }
        }
        log.WriteLine($"WebP conformance: {ok} decoded, {refused} refused");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    // Streams the libwebp test-data repository includes on purpose as invalid input.
    private static readonly HashSet<string> KnownInvalidWebp = [];
}
