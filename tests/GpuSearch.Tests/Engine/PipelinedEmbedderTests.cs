// The embedder's overlapped path on PoCL, with a tiny conv model written in the test: batches uploaded on a
// transfer stream while earlier ones compute must give bit-identical vectors to one batch at a time, in
// every arrangement (several in flight, completed out of order, staging smaller than a batch, dropped).
using GpuSearch.Embedding;
using GpuSearch.Imaging;
using GpuSearch.Tests.Models.Support;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Engine;

public sealed class PipelinedEmbedderTests : IDisposable
{
    private const int Dim = 8, Side = 16;
    private readonly string _dir = Directory.CreateTempSubdirectory("gpusearch-embedder-").FullName;

    private static readonly PreprocessSpec Spec = new()
    {
        Resize = new ResizeSpec { Mode = ResizeMode.Exact, Width = Side, Height = Side },
        Scale = 1.0 / 255.0,
    };

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>[N,3,16,16] → 3×3 stride-2 conv to 8 channels → Relu → global average → [N,8]; fixed-seed weights.</summary>
    private string Model()
    {
        var rng = new Random(11);
        var w = Enumerable.Range(0, Dim * 3 * 9).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var b = Enumerable.Range(0, Dim).Select(_ => (float)(rng.NextDouble() * 0.2)).ToArray();
        var path = Path.Combine(_dir, "tiny.onnx");
        new OnnxTestWriter()
            .Input("input", "N", 3, Side, Side)
            .Init("w", [Dim, 3, 3, 3], w).Init("b", [Dim], b)
            .Node("Conv", ["input", "w", "b"], ["c"], attrs: new() { ["pads"] = new long[] { 1, 1, 1, 1 }, ["strides"] = new long[] { 2, 2 } })
            .Node("Relu", ["c"], ["r"])
            .Node("GlobalAveragePool", ["r"], ["g"])
            .Node("Flatten", ["g"], ["embedding"])
            .Output("embedding")
            .Save(path);
        return path;
    }

    /// <summary>Images of different sizes and contents, so a mix-up of offsets or slots changes a vector.</summary>
    private static DecodedImage[] Images(int count)
    {
        var rng = new Random(5);
        return Enumerable.Range(0, count).Select(i =>
        {
            int w = 9 + i * 7 % 40, h = 12 + i * 11 % 37;
            var px = new byte[w * h * 3];
            rng.NextBytes(px);
            return new DecodedImage(w, h, px, w, h, ImageFormat.Png);
        }).ToArray();
    }

    private ImageEmbedder Open(int maxBatch) => new(Devices.Cpu, Model(), Spec, "embedding", maxBatch);

    /// <summary>Each image alone: submit, then wait, one at a time.</summary>
    private static float[] OneByOne(ImageEmbedder e, DecodedImage[] images)
    {
        var v = new float[images.Length * Dim];
        for (int i = 0; i < images.Length; i++)
        {
            using var p = e.Submit([images[i]]);
            e.Complete(p, v.AsSpan(i * Dim, Dim));
        }
        return v;
    }

    [Fact]
    public void PipelinedEmbedEqualsOneImageAtATime()
    {
        var images = Images(11);
        using var e = Open(maxBatch: 4);
        var trace = new List<string>();
        e.Trace = trace.Add;
        var pipelined = new float[images.Length * Dim];
        e.Embed(images, pipelined);
        // Batch k+1 is submitted (its upload enqueued) before the host waits for batch k.
        Assert.Equal(["submit 0", "submit 1", "wait 0", "submit 2", "wait 1", "wait 2"], trace);
        Assert.Equal(2, e.SlotCount);
        Assert.Equal(0, e.InFlight);
        e.Trace = null;
        Assert.Equal(OneByOne(e, images), pipelined);
        Assert.Contains(pipelined, v => v != 0);
    }

    [Fact]
    public void StagingSmallerThanABatchUploadsInPartsWithTheSameResult()
    {
        var images = Images(7);
        using var e = Open(maxBatch: 7);
        var whole = new float[images.Length * Dim];
        e.Embed(images, whole);
        using var small = Open(maxBatch: 7);
        small.StagingBytes = 1; // every image its own upload: the staging is refilled after each
        var parts = new float[images.Length * Dim];
        small.Embed(images, parts);
        Assert.Equal(whole, parts);
    }

    [Fact]
    public void SlotMemoryGrowsByDoublingUpToTheLimitSoVariedBatchesStopReallocating()
    {
        using var slot = new BatchSlot();
        slot.EnsureStaging(Devices.Cpu, 1000, 10_000);
        Assert.Equal(1000, slot.Staging!.Length);
        var first = slot.Staging;
        slot.EnsureStaging(Devices.Cpu, 900, 10_000);
        Assert.Same(first, slot.Staging); // fits: kept
        slot.EnsureStaging(Devices.Cpu, 1100, 10_000);
        Assert.Equal(2000, slot.Staging!.Length); // a little more than before: twice the old size, not 1100
        Assert.Equal(2000, slot.DevicePixels!.Length);
        var second = slot.Staging;
        slot.EnsureStaging(Devices.Cpu, 1900, 10_000);
        Assert.Same(second, slot.Staging);
        slot.EnsureStaging(Devices.Cpu, 3000, 3500);
        Assert.Equal(3500, slot.Staging!.Length); // doubling stops at the limit
        slot.EnsureStaging(Devices.Cpu, 3500, 3500);
        Assert.Equal(3500, slot.Staging!.Length);
    }

    [Fact]
    public void SeveralBatchesInFlightCompleteInAnyOrder()
    {
        var images = Images(9);
        using var e = Open(maxBatch: 3);
        var reference = OneByOne(e, images);
        var batches = Enumerable.Range(0, 3).Select(k => e.Submit(images[(k * 3)..(k * 3 + 3)])).ToArray();
        Assert.Equal(3, e.InFlight);
        var got = new float[images.Length * Dim];
        foreach (var k in new[] { 2, 0, 1 })
            e.Complete(batches[k], got.AsSpan(k * 3 * Dim, 3 * Dim));
        Assert.Equal(reference, got);
        Assert.True(batches.All(b => b.IsCompleted));
        Assert.Equal(3, e.SlotCount); // one memory set per batch that was in flight together, then reused
        using (var again = e.Submit(images[..2])) e.Complete(again, new float[2 * Dim]);
        Assert.Equal(3, e.SlotCount);

        var twice = Assert.Throws<InvalidOperationException>(() => e.Complete(batches[0], new float[3 * Dim]));
        Assert.Contains("already completed", twice.Message);
    }

    [Fact]
    public void DroppedBatchesFreeTheirSlotAndBadArgumentsAreNamed()
    {
        var images = Images(5);
        using var e = Open(maxBatch: 2);
        var dropped = e.Submit(images[..2]);
        dropped.Dispose();
        Assert.True(dropped.IsCompleted);
        Assert.Equal(0, e.InFlight);
        Assert.Throws<InvalidOperationException>(() => e.Complete(dropped, new float[2 * Dim]));

        var tooMany = Assert.Throws<ArgumentException>(() => e.Submit(images[..3]));
        Assert.Contains("1 to 2 images", tooMany.Message);
        using var p = e.Submit(images[..2]);
        var shortOut = Assert.Throws<ArgumentException>(() => e.Complete(p, new float[Dim]));
        Assert.Equal("output", shortOut.ParamName);
        using var other = Open(maxBatch: 2);
        Assert.Throws<InvalidOperationException>(() => other.Complete(p, new float[2 * Dim]));
        Assert.Equal(1, e.SlotCount); // the dropped batch's slot was reused by p

        // No resize: a 4×4 image stays 4×4, which the 16×16 model cannot take; refused before anything is enqueued.
        using var unresized = new ImageEmbedder(Devices.Cpu, Model(), new PreprocessSpec { Scale = 1.0 / 255.0 }, "embedding", 2);
        var wrongSize = Assert.Throws<ArgumentException>(() => unresized.Submit([new DecodedImage(4, 4, new byte[48], 4, 4, ImageFormat.Png)]));
        Assert.Contains("image 0", wrongSize.Message);
        Assert.Equal((0, 0), (unresized.InFlight, unresized.SlotCount));

        // A side beyond what preprocessing takes (65535) is a reason, not an exception: the pipeline reports such
        // an image as failed and goes on with the batch.
        var why = e.CheckSize(70_000, 1);
        Assert.NotNull(why);
        Assert.Contains("70000", why);
        var huge = Assert.Throws<ArgumentException>(() => e.Submit([new DecodedImage(70_000, 1, new byte[210_000], 70_000, 1, ImageFormat.Png)]));
        Assert.Contains("image 0", huge.Message);
    }
}
