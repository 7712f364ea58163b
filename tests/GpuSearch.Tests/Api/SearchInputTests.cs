// The async search entry points on the serve fixture's small real index (five photos, real MobileNetV2): one image
// as a path, a Stream, bytes and decoded pixels gives the same hits; exclude-self, k and minimum score; by id and
// by key; a batch equals its images searched alone; streams over the byte limit are refused before they are read
// whole; a cancelled token stops each call.
using GpuSearch.Imaging;
using GpuSearch.Tests.Serve;

namespace GpuSearch.Tests.Api;

[Collection(ServeCollection.Name)]
[Trait("Backend", "OpenCL")]
public sealed class SearchInputTests(ServeFixture fx)
{
    [ServeFact]
    public async Task PathStreamBytesAndPixelsOfOneImageGiveTheSameHits()
    {
        var engine = fx.Engine;
        var photo = fx.Photos[1];
        var self = engine.FindItem(photo)!;
        var options = new QueryOptions(3);
        var byPath = await engine.SearchAsync(photo, options);
        Assert.Equal(self.Id, byPath[0].Id);
        Assert.Equal(3, byPath.Count);

        var bytes = File.ReadAllBytes(photo);
        await using (var seekable = new MemoryStream(bytes))
            Assert.Equal(byPath, await engine.SearchAsync(seekable, options));
        await using (var unseekable = new Drip(bytes, limit: long.MaxValue))
            Assert.Equal(byPath, await engine.SearchAsync(unseekable, options));
        Assert.Equal(byPath, await engine.SearchAsync(bytes.AsMemory(), options));

        // Pixels from the caller (copied into a DecodedImage), as another decoder would hand them over.
        var decoded = engine.Decode(bytes, "q");
        var theirs = decoded.Pixels.ToArray();
        var pixels = new DecodedImage(decoded.Width, decoded.Height, theirs);
        theirs.AsSpan().Clear(); // the image copied them: the caller's buffer is its own
        Assert.Equal(byPath, await engine.SearchAsync(pixels, options));
    }

    [ServeFact]
    public async Task KMinimumScoreAndExcludeSelf()
    {
        var engine = fx.Engine;
        var photo = fx.Photos[3];
        var self = engine.FindItem(photo)!;
        var all = await engine.SearchAsync(photo, new QueryOptions(10));
        Assert.Equal(engine.Count, all.Count);
        Assert.Equal(all.Take(2), await engine.SearchAsync(photo, new QueryOptions(2)));

        var excluded = await engine.SearchAsync(photo, new QueryOptions(2, ExcludeSelf: true));
        Assert.Equal(all.Where(h => h.Id != self.Id).Take(2), excluded);
        await using (var stream = new MemoryStream(File.ReadAllBytes(photo)))
            Assert.Equal(excluded, await engine.SearchAsync(stream, new QueryOptions(2, ExcludeSelf: true)));
        var pixels = engine.Decode(File.ReadAllBytes(photo), "q");
        Assert.Equal(self.Id, (await engine.SearchAsync(pixels, new QueryOptions(2, ExcludeSelf: true)))[0].Id); // nothing identifies pixels

        float threshold = (all[1].Score + all[2].Score) / 2;
        Assert.Equal(all.Take(2), await engine.SearchAsync(photo, new QueryOptions(10, MinScore: threshold)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => engine.SearchAsync(photo, new QueryOptions(0)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => engine.SearchAsync(photo, new QueryOptions(1, float.NaN)));
    }

    [ServeFact]
    public async Task ByIdAndBatch()
    {
        var engine = fx.Engine;
        var self = engine.FindItem(fx.Photos[0])!;
        var withSelf = (await engine.SearchByIdAsync(self.Id, new QueryOptions(3)))!;
        Assert.Equal(self.Id, withSelf[0].Id);
        var without = (await engine.SearchByIdAsync(self.Id, new QueryOptions(2, ExcludeSelf: true)))!;
        Assert.Equal(withSelf.Skip(1).Take(2), without);
        Assert.Null(await engine.SearchByIdAsync(987_654, new QueryOptions(1)));
        Assert.Null(await engine.SearchByKeyAsync("no such key", new QueryOptions(1))); // a read-only index of paths: no keys

        // Five images (uploads decoded from streams) with batch size 4: two device passes, one scan; each as if alone.
        var images = new DecodedImage[fx.Photos.Length];
        for (int i = 0; i < images.Length; i++)
        {
            await using var upload = File.OpenRead(fx.Photos[i]);
            images[i] = await engine.DecodeAsync(upload);
        }
        var batch = await engine.SearchBatchAsync(images, new QueryOptions(2));
        Assert.Equal(images.Length, batch.Count);
        for (int i = 0; i < images.Length; i++)
        {
            var alone = await engine.SearchAsync(images[i], new QueryOptions(2));
            Assert.Equal(alone.Select(h => h.Id), batch[i].Select(h => h.Id));
            for (int j = 0; j < alone.Count; j++) Assert.Equal(alone[j].Score, batch[i][j].Score, 1e-4f);
            Assert.Equal(engine.FindItem(fx.Photos[i])!.Id, batch[i][0].Id);
        }
        Assert.Empty(await engine.SearchBatchAsync([], new QueryOptions(1)));
        Assert.Throws<ArgumentNullException>(() => { _ = engine.SearchBatchAsync([images[0], null!], new QueryOptions(1)); });
    }

    [ServeFact]
    public void ImagesTheModelCannotTakeAreRefusedByIndexBeforeAnyDevicePass()
    {
        // Sizes are checked once at the door: Decode checks an upload; caller-made pixels are checked by EmbedDecoded
        // and SearchBatchAsync themselves; the device passes behind them submit without checking again.
        var engine = fx.Engine;
        var decoded = engine.Decode(File.ReadAllBytes(fx.Photos[0]), "q");
        var huge = new DecodedImage(70_000, 1, new byte[210_000]); // a side beyond what the preprocessing takes
        var e1 = Assert.Throws<ArgumentException>(() => engine.EmbedDecoded([decoded, huge]));
        Assert.Contains("image 1", e1.Message);
        Assert.Contains("70000", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => { _ = engine.SearchBatchAsync([decoded, huge], new QueryOptions(1)); });
        Assert.Contains("image 1", e2.Message);
        Assert.Throws<ArgumentNullException>(() => engine.EmbedDecoded([decoded, null!]));

        // A decoded upload and the same pixels made by the caller embed alike (one checked at Decode, one here).
        var copy = new DecodedImage(decoded.Width, decoded.Height, decoded.Pixels.Span);
        var v = engine.EmbedDecoded([decoded, copy]);
        Assert.Equal(v.AsSpan(0, engine.Dimension).ToArray(), v.AsSpan(engine.Dimension, engine.Dimension).ToArray());
        Assert.Equal(engine.Embed([fx.Photos[0]]).Vectors.ToArray(), v.AsSpan(0, engine.Dimension).ToArray(), (a, b) => Math.Abs(a - b) < 1e-4f);
    }

    [ServeFact]
    public async Task ByKeyOnAWritableIndex()
    {
        var folder = Path.Combine(fx.Root, "keys-" + Guid.NewGuid().ToString("N"));
        using var engine = ImageSearchEngine.Open(folder, ServeFixture.Options(readOnly: false));
        var a = await engine.AddAsync("SKU-A", fx.Photos[0]);
        var b = await engine.AddAsync("SKU-B", fx.Photos[1]);
        var hits = (await engine.SearchByKeyAsync("SKU-A", new QueryOptions(2)))!;
        Assert.Equal([a.Id, b.Id], hits.Select(h => h.Id));
        Assert.Equal([b.Id], (await engine.SearchByKeyAsync("SKU-A", new QueryOptions(2, ExcludeSelf: true)))!.Select(h => h.Id));
        Assert.Equal(hits, await engine.SearchByIdAsync(a.Id, new QueryOptions(2)));
        Assert.Null(await engine.SearchByKeyAsync("SKU-C", new QueryOptions(1)));
        // An in-memory upload's item has no path: exclude-self still finds it by its bytes.
        await engine.AddAsync("SKU-M", File.ReadAllBytes(fx.Photos[2]));
        var upload = File.ReadAllBytes(fx.Photos[2]);
        Assert.DoesNotContain(await engine.SearchAsync(upload.AsMemory(), new QueryOptions(3, ExcludeSelf: true)), h => h.Id == engine.GetByKey("SKU-M")!.Id);
    }

    [ServeFact]
    public async Task StreamsOverTheByteLimitAreRefusedBeforeTheyAreReadWhole()
    {
        const int limit = 4096;
        _ = fx.Engine; // the index is built
        using var engine = ImageSearchEngine.Open(fx.Db, ServeFixture.Options(readOnly: true) with { MaxImageBytes = limit });
        var q = new QueryOptions(1);

        // A body that never ends: read in chunks, refused once past the limit.
        await using (var endless = new Drip(null, limit: long.MaxValue))
        {
            var e = await Assert.ThrowsAsync<ImageDecodeException>(() => engine.SearchAsync(endless, q));
            Assert.Equal(DecodeFailureReason.TooLarge, e.Reason);
            Assert.Contains($"more than {limit} bytes", e.Message);
            Assert.InRange(endless.Served, limit + 1, limit + 81920);
        }
        // A seekable stream says its length: refused with nothing read.
        var big = new byte[limit + 1];
        await using (var seekable = new MemoryStream(big))
        {
            var e = await Assert.ThrowsAsync<ImageDecodeException>(() => engine.SearchAsync(seekable, q));
            Assert.Equal(DecodeFailureReason.TooLarge, e.Reason);
            Assert.Contains($"{limit + 1} bytes", e.Message);
            Assert.Equal(0, seekable.Position);
        }
        Assert.Equal(DecodeFailureReason.TooLarge, (await Assert.ThrowsAsync<ImageDecodeException>(() => engine.SearchAsync(big.AsMemory(), q))).Reason);
        Assert.Equal(DecodeFailureReason.TooLarge, Assert.Throws<ImageDecodeException>(() => engine.Decode(big, "upload")).Reason);
        await using (var endless = new Drip(null, limit: long.MaxValue))
            Assert.Equal(DecodeFailureReason.TooLarge, (await Assert.ThrowsAsync<ImageDecodeException>(() => engine.DecodeAsync(endless))).Reason);
        var file = Path.Combine(fx.Root, "big-" + Guid.NewGuid().ToString("N") + ".jpg");
        await File.WriteAllBytesAsync(file, big);
        Assert.Equal(DecodeFailureReason.TooLarge, (await Assert.ThrowsAsync<ImageDecodeException>(() => engine.SearchAsync(file, q))).Reason);
        // Under the limit but not an image: the decoder's reason.
        await using (var junk = new MemoryStream("not an image"u8.ToArray()))
            Assert.Equal(DecodeFailureReason.NotAnImage, (await Assert.ThrowsAsync<ImageDecodeException>(() => engine.SearchAsync(junk, q))).Reason);
    }

    [ServeFact]
    public async Task ACancelledTokenStopsEveryEntryPoint()
    {
        var engine = fx.Engine;
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var q = new QueryOptions(1);
        var bytes = File.ReadAllBytes(fx.Photos[0]);
        var pixels = engine.Decode(bytes, "q");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => engine.SearchAsync(fx.Photos[0], q, cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => engine.SearchAsync(new Drip(bytes, long.MaxValue), q, cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => engine.SearchAsync(bytes.AsMemory(), q, cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => engine.SearchAsync(pixels, q, cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => engine.SearchBatchAsync([pixels], q, cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => engine.SearchByIdAsync(engine.FindItem(fx.Photos[0])!.Id, q, cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => engine.SearchByKeyAsync("k", q, cts.Token));
    }

    /// <summary>A non-seekable stream serving <c>data</c> (or zeros forever) a few bytes at a time, counting what it served.</summary>
    private sealed class Drip(byte[]? data, long limit) : Stream
    {
        private long _position;
        public long Served => _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            long left = data is null ? limit - _position : data.Length - _position;
            int n = (int)Math.Min(Math.Min(buffer.Length, 1000), left);
            if (data is null) buffer[..n].Clear();
            else data.AsSpan((int)_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            cancellationToken.IsCancellationRequested ? ValueTask.FromCanceled<int>(cancellationToken) : new(Read(buffer.Span));
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
