// The image-search path of the server: decoded uploads go to the device either micro-batched (one embed pass and
// one scan for every request collected) or one request at a time (the switch the load benchmark compares).
using GpuSearch.Imaging;

namespace GpuSearch.Cli.Serve;

internal sealed class ImageSearcher : IAsyncDisposable
{
    private readonly ImageSearchEngine _engine;
    // Decoded pixels can be large (up to the engine's pixel limit × 3 bytes): at most one decode per core at a time.
    private readonly SemaphoreSlim _decodeSlots = new(Environment.ProcessorCount);
    private readonly MicroBatcher<(DecodedImage Image, QueryOptions Options), IReadOnlyList<SearchHit>>? _batcher;
    private long _single;

    public ImageSearcher(ImageSearchEngine engine, ServeOptions options)
    {
        _engine = engine;
        if (options.Batching) _batcher = new(RunBatch, engine.MaxBatch, options.BatchWindow);
    }

    public bool Batching => _batcher is not null;
    /// <summary>Device passes (embed + scan) so far.</summary>
    public long Batches => _batcher?.Batches ?? Interlocked.Read(ref _single);
    /// <summary>Image searches so far.</summary>
    public long Requests => _batcher?.Items ?? Interlocked.Read(ref _single);

    /// <summary>Decodes an upload on the calling thread once a decode slot is free.</summary>
    public async Task<DecodedImage> DecodeAsync(byte[] bytes, CancellationToken ct)
    {
        await _decodeSlots.WaitAsync(ct);
        try { return _engine.Decode(bytes, "upload"); }
        finally { _decodeSlots.Release(); }
    }

    public Task<IReadOnlyList<SearchHit>> SearchAsync(DecodedImage image, QueryOptions options, CancellationToken ct)
    {
        if (_batcher is not null) return _batcher.SubmitAsync((image, options), ct);
        Interlocked.Increment(ref _single);
        // The device lock serialises these; run off the request thread so Kestrel's I/O threads stay free.
        return Task.Run(() => RunBatch([(image, options)])[0], ct);
    }

    private IReadOnlyList<IReadOnlyList<SearchHit>> RunBatch(IReadOnlyList<(DecodedImage Image, QueryOptions Options)> batch)
    {
        var vectors = _engine.EmbedDecoded(batch.Select(b => b.Image).ToArray());
        return _engine.Search(vectors, batch.Select(b => b.Options).ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        if (_batcher is not null) await _batcher.DisposeAsync();
        _decodeSlots.Dispose();
    }
}
