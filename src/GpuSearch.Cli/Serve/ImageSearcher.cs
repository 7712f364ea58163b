// The image-search path of the server: decoded uploads go to the device either micro-batched (one embed pass and
// one scan for every request collected) or one request at a time (the switch the load benchmark compares).
// A batch is answered per request: an image the model turns into NaN or infinity fails alone (422
// NonFiniteEmbedding) and the other rows of its batch are still searched.
using GpuSearch.Embedding;
using GpuSearch.Imaging;
using GpuSearch.Search;

namespace GpuSearch.Cli.Serve;

internal sealed class ImageSearcher : IAsyncDisposable
{
    private readonly ImageSearchEngine _engine;
    // Decoded pixels can be large (up to the engine's pixel limit × 3 bytes): at most one decode per core at a time.
    private readonly SemaphoreSlim _decodeSlots = new(Environment.ProcessorCount);
    private readonly MicroBatcher<(DecodedImage Image, QueryOptions Options), Answer>? _batcher;
    private long _single;

    /// <summary>One request's share of a batch: its hits, or why it alone failed.</summary>
    private readonly record struct Answer(IReadOnlyList<SearchHit>? Hits, ApiException? Error)
    {
        public IReadOnlyList<SearchHit> HitsOrThrow() => Hits ?? throw Error!;
    }

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

    /// <exception cref="ApiException">422 NonFiniteEmbedding: the model's output for this image holds NaN or infinity.</exception>
    public async Task<IReadOnlyList<SearchHit>> SearchAsync(DecodedImage image, QueryOptions options, CancellationToken ct)
    {
        if (_batcher is not null) return (await _batcher.SubmitAsync((image, options), ct)).HitsOrThrow();
        Interlocked.Increment(ref _single);
        // The embedder serialises these; run off the request thread so Kestrel's I/O threads stay free.
        return (await Task.Run(() => RunBatch([(image, options)])[0], ct)).HitsOrThrow();
    }

    private IReadOnlyList<Answer> RunBatch(IReadOnlyList<(DecodedImage Image, QueryOptions Options)> batch)
    {
        int dim = _engine.Dimension;
        var vectors = _engine.EmbedDecoded(batch.Select(b => b.Image).ToArray());
        var answers = new Answer[batch.Count];
        var good = new List<int>(batch.Count);
        for (int i = 0; i < batch.Count; i++)
        {
            // The engine's scan refuses a whole batch for one non-finite row; take such rows out first.
            int bad = FiniteValues.CountNonFinite(vectors.AsSpan(i * dim, dim));
            if (bad == 0) good.Add(i);
            else answers[i] = new Answer(null, new ApiException(422, EmbeddingPipeline.NonFiniteReason,
                $"the model's output for this image holds {bad} NaN or infinite value(s); it cannot be searched"));
        }
        if (good.Count == 0) return answers;
        var rows = good.Count == batch.Count ? vectors : new float[good.Count * dim];
        if (rows != vectors)
            for (int j = 0; j < good.Count; j++) vectors.AsSpan(good[j] * dim, dim).CopyTo(rows.AsSpan(j * dim, dim));
        var hits = _engine.Search(rows, good.Select(i => batch[i].Options).ToArray());
        for (int j = 0; j < good.Count; j++) answers[good[j]] = new Answer(hits[j], null);
        return answers;
    }

    public async ValueTask DisposeAsync()
    {
        if (_batcher is not null) await _batcher.DisposeAsync();
        _decodeSlots.Dispose();
    }
}
