// Decoders rent their pixel buffers (Imaging/PixelPool.cs): an image must still show exactly its own bytes, alpha
// flattened in place must equal PIL's composite, and the indexing pipeline hands the buffers back after upload.
using GpuSearch.Embedding;
using GpuSearch.Imaging;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Imaging;

public sealed class PixelPoolTests
{
    [Fact]
    public void APooledImageShowsExactlyItsPixelsAndNoneOnceReturned()
    {
        var buffer = PixelPool.Rent(5 * 3 * 3);
        Assert.True(buffer.Length > 45); // a pool bucket: longer than the image
        for (int i = 0; i < 45; i++) buffer[i] = (byte)i;
        var img = new DecodedImage(5, 3, buffer, 5, 3, ImageFormat.Png, pooled: true);
        Assert.Equal(45, img.Pixels.Length);
        Assert.Equal(Enumerable.Range(0, 45).Select(i => (byte)i), img.Pixels.ToArray());
        Assert.Equal(new Rgb8(42, 43, 44), img.GetPixel(4, 2));

        img.ReturnPixels();
        var e = Assert.Throws<InvalidOperationException>(() => img.Pixels);
        Assert.Contains("returned to the pool", e.Message);
        img.ReturnPixels(); // twice: nothing more to hand back
    }

    [Fact]
    public void AnImageThatWasNotRentedKeepsItsPixelsAndMustBeExact()
    {
        var img = new DecodedImage(2, 1, [1, 2, 3, 4, 5, 6], 2, 1, ImageFormat.Png);
        img.ReturnPixels();
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6 }, img.Pixels.ToArray());
        Assert.Throws<ArgumentException>(() => new DecodedImage(2, 1, new byte[7], 2, 1, ImageFormat.Png));
        Assert.Throws<ArgumentException>(() => new DecodedImage(2, 1, new byte[5], 2, 1, ImageFormat.Png, pooled: true));
    }

    [Fact]
    public void AlphaFlattenedInPlaceIsPilsCompositeOfEveryPixel()
    {
        var rng = new Random(3);
        const int n = 1001;
        var rgba = new byte[n * 4 + 7]; // longer than the pixels, as a rented buffer is
        rng.NextBytes(rgba);
        rgba[3] = 0; rgba[7] = 255; // the two ends of alpha
        var bg = new Rgb8(255, 128, 0);
        var expected = new byte[n * 3];
        for (int i = 0; i < n; i++)
        {
            int a = rgba[4 * i + 3];
            for (int c = 0; c < 3; c++)
            {
                int b = c == 0 ? bg.R : c == 1 ? bg.G : bg.B;
                int t = b * (255 - a) + rgba[4 * i + c] * a + 128; // PIL: DIV255(bg·(255−a) + fg·a)
                expected[3 * i + c] = (byte)(((t >> 8) + t) >> 8);
            }
        }
        var tail = rgba[(n * 4)..].ToArray();
        PixelOps.FlattenAlphaInPlace(rgba, n, bg);
        Assert.Equal(expected, rgba[..(n * 3)]);
        Assert.Equal((byte)255, rgba[0]); // alpha 0: the background
        Assert.Equal(tail, rgba[(n * 4)..]); // nothing past the pixels touched
    }

    [Fact]
    public void OrientingCopiesIntoARentedBufferOfTheUprightImage()
    {
        byte[] src = [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6]; // 3×2: row 1 2 3, row 4 5 6
        var rotated = PixelOps.Orient(src, 3, 2, 6, out int w, out int h); // 90° clockwise: 2×3
        Assert.Equal((2, 3), (w, h));
        Assert.True(rotated.Length >= src.Length);
        Assert.Equal(new byte[] { 4, 4, 4, 1, 1, 1, 5, 5, 5, 2, 2, 2, 6, 6, 6, 3, 3, 3 }, rotated[..18]);
        Assert.Equal(src, PixelOps.Orient(src, 3, 2, 1, out w, out h)[..18]);
        Assert.Equal((3, 2), (w, h));
    }

    [Fact]
    public void DecodedPngsAreExactAfterRentingAndTheIndexingPipelineHandsTheirBuffersBack()
    {
        var dir = Directory.CreateTempSubdirectory("gpusearch-pool-").FullName;
        try
        {
            var requests = new List<DecodeRequest>();
            var expected = new List<byte[]>();
            for (int i = 0; i < 5; i++)
            {
                int w = 7 + 5 * i, h = 9 + 3 * i;
                var rgb = new byte[w * h * 3];
                new Random(i).NextBytes(rgb);
                var path = Path.Combine(dir, $"{i}.png");
                File.WriteAllBytes(path, TestPng.EncodeRgb(rgb, w, h));
                requests.Add(new DecodeRequest(i, path));
                expected.Add(rgb);
                Assert.Equal(rgb, ImageDecoder.DecodeFile(path).Pixels.ToArray());
            }
            using var embedder = new ImageEmbedder(Devices.Cpu, TinyModel(dir), new PreprocessSpec
            {
                Resize = new ResizeSpec { Mode = ResizeMode.Exact, Width = 8, Height = 8 },
                Scale = 1.0 / 255.0,
            }, "embedding", 4);
            var batches = EmbeddingPipeline.RunAsync(embedder, requests, new DecodePipelineOptions { BatchSize = 2, WorkerCount = 2 })
                .ToBlockingEnumerable().ToList();
            var items = batches.SelectMany(b => b.Items).ToList();
            Assert.Equal(5, items.Count);
            Assert.Equal(5, batches.Sum(b => b.Embedded.Count));
            foreach (var item in items)
                Assert.Throws<InvalidOperationException>(() => item.Image!.Pixels); // handed back once uploaded
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>[N,3,8,8] → global average → [N,3].</summary>
    private static string TinyModel(string dir)
    {
        var path = Path.Combine(dir, "tiny.onnx");
        new GpuSearch.Tests.Models.Support.OnnxTestWriter()
            .Input("input", "N", 3, 8, 8)
            .Node("GlobalAveragePool", ["input"], ["g"])
            .Node("Flatten", ["g"], ["embedding"])
            .Output("embedding")
            .Save(path);
        return path;
    }
}
