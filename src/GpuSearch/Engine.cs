// The host API apps embed: open an index folder with a model on a device, add images, embed, search.
// Thread-safe without one device lock: the catalog and the device vectors each have their own lock, scans run on
// the device's default stream while embedders use streams of their own (bulk batches on one embedder, single
// images on a second), so a search never waits for an embedding batch. Indexing is crash-safe because the store
// commits each batch before it is reported.
using GpuSearch.Compute;
using GpuSearch.Embedding;
using GpuSearch.Imaging;
using GpuSearch.Search;
using GpuSearch.Store;
using Microsoft.Extensions.Logging;

namespace GpuSearch;

/// <summary>
/// An image similarity index: an index folder (SQLite catalog + .npy vectors), a CNN embedding model and an
/// exact top-k scan on a compute device. Dispose it to release the device and the folder's lock.
/// </summary>
public sealed partial class ImageSearchEngine : IDisposable
{
    private readonly object _catalogLock = new(); // _store: its SQLite connection is not thread-safe
    private readonly object _indexLock = new(); // _index and _whitening, and the scans they run on the device's default stream
    private readonly SemaphoreSlim _addGate = new(1, 1); // one AddImagesAsync at a time; a second waits its turn
    private readonly ComputeDevice _device;
    private readonly ImageEmbedder _embedder; // bulk: indexing, bulk queries, Embed
    private readonly Func<ImageEmbedder> _newEmbedder;
    private readonly object _queryEmbedderLock = new();
    private ImageEmbedder? _queryEmbedder; // single images; made on first use (Engine.Query.cs)
    private readonly IndexStore _store;
    private FlatIndex _index; // rebuilt when the whitening changes (Engine.Whitening.cs)
    private readonly EngineOptions _options;
    private readonly ILogger _logger; // EngineOptions.LoggerFactory's engine category (EngineLog.cs)
    private bool _disposed;

    /// <summary>The index folder.</summary>
    public string Folder { get; }
    /// <summary>The model file that makes the embeddings.</summary>
    public string ModelPath { get; }
    /// <summary>What made the vectors; an index refuses to open with a different one.</summary>
    public ModelFingerprint Fingerprint { get; }
    /// <summary>The device everything runs on.</summary>
    public DeviceInfo Device => _device.Info;
    /// <summary>Embedding dimension.</summary>
    public int Dimension => _embedder.Dimension;
    /// <summary>Images in the index.</summary>
    public long Count { get { lock (_catalogLock) return _store.Count; } }
    /// <summary>What <see cref="IndexStore.Open"/> repaired after an interrupted run (empty normally).</summary>
    public IReadOnlyList<string> RecoveryLog => _store.RecoveryLog;

    private ImageSearchEngine(string folder, EngineOptions options, string modelPath, ComputeDevice device, ImageEmbedder embedder,
        Func<ImageEmbedder> newEmbedder, IndexStore store, FlatIndex index, ModelFingerprint fingerprint, StoredWhitening? whitening, WhiteningStamp whiteningStamp, ILogger logger)
    {
        _whiteningStamp = whiteningStamp;
        _logger = logger;
        Folder = folder; _options = options; ModelPath = modelPath; _device = device; _embedder = embedder; _newEmbedder = newEmbedder;
        _store = store; _index = index; Fingerprint = fingerprint; _whitening = whitening;
    }

    /// <summary>
    /// Opens the index in <paramref name="folder"/>, creating it if <see cref="EngineOptions.CreateIfMissing"/>.
    /// The model and preprocessing come from <paramref name="options"/>, else from the index, else the defaults;
    /// opening an index with a different model is refused with both fingerprints in the message.
    /// </summary>
    public static ImageSearchEngine Open(string folder, EngineOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        options ??= new EngineOptions();
        DecodePipelineOptions.CheckWorkerCount(options.DecodeWorkers); // before anything is created
        folder = Path.GetFullPath(folder);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var log = options.LoggerFactory.CreateLogger(EngineLog.EngineCategory);
        var exists = File.Exists(Path.Combine(folder, "catalog.sqlite"));
        if (!exists && (!options.CreateIfMissing || options.ReadOnly))
            throw new DirectoryNotFoundException($"{folder} holds no index (create one with `gpusearch index ... --db {folder}`)");
        var saved = exists ? EngineConfig.TryRead(folder) : null;
        var spaces = ResolveSpaces(options, saved); // several models (Engine.Spaces.cs), else null
        var modelPath = Path.GetFullPath(spaces?[0].ModelPath ?? options.ModelPath ?? saved?.ModelPath ?? DefaultModel.RequirePath());
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"Model not found: {modelPath}", modelPath);
        var (spec, specSource) = options.Preprocess is { } given ? (given, "options")
            : (options.ModelPath is null ? saved?.Preprocess : null) is { } stored ? (stored, "the index")
            : PreprocessWithSource(modelPath);
        var output = options.OutputName ?? saved?.OutputName;
        var flipTta = options.FlipTta ?? (options.ModelPath is null ? saved?.FlipTta : null) ?? false;
        var pool = options.Pool ?? (options.OutputName is null ? saved?.Pool : null);

        void Stage(OpenStage stage)
        {
            OpenObserver.Step(stage); // OpenAsync's progress and cancellation; nothing when called directly
            EngineLog.OpenStage(log, folder, stage);
        }
        Stage(OpenStage.Device);
        var device = OpenDevice(options, log);
        ImageEmbedder? embedder = null;
        IndexStore? store = null;
        FlatIndex? index = null;
        try
        {
            Stage(OpenStage.Model);
            ImageEmbedder NewEmbedder() => spaces is null
                ? new(device, modelPath, spec, output, options.BatchSize, flipTta: flipTta, pooling: pool)
                : new(device, spaces, options.BatchSize, null, flipTta);
            embedder = NewEmbedder();
            // Flip-averaged vectors are not the output's own: the fingerprint's output names both, so mixing is refused.
            var fingerprint = spaces is not null ? EnsembleFingerprint(embedder, flipTta) : ModelFingerprint.ForModelFile(modelPath, PreprocessSpecJson.Write(spec),
                flipTta ? embedder.EmbeddingSource + "+flip-tta" : embedder.EmbeddingSource, "float32", embedder.Dimension);
            EngineLog.ModelLoaded(log, modelPath, spaces is not null ? $"the first of {spaces.Count} embedding spaces"
                    : options.ModelPath is not null ? "options" : saved?.ModelPath is not null ? "the index" : "the default model",
                embedder.Dimension, flipTta ? embedder.EmbeddingSource + " + flip" : embedder.EmbeddingSource, options.BatchSize,
                spaces is not null ? "each space's own" : specSource);
            if (spaces is null && specSource == PresetFallback) EngineLog.PreprocessFallback(log, modelPath);
            Stage(OpenStage.Index);
            var storeLog = options.LoggerFactory.CreateLogger(EngineLog.StoreCategory);
            if (options.ReadOnly) store = IndexStore.OpenReadOnly(folder, fingerprint);
            else
            {
                store = exists ? IndexStore.Open(folder, fingerprint, storeLog) : IndexStore.Create(folder, new IndexMetadata(fingerprint), storeLog);
                new EngineConfig(modelPath, embedder.PooledValue ?? embedder.OutputName, embedder.Spec, flipTta, embedder.Pooling, spaces).Write(folder);
            }
            // Stamped before the read, so a whitening written meanwhile is seen as a change by the first refresh.
            var whiteningStamp = WhiteningStamp.Of(folder);
            var whitening = ReadWhitening(folder, embedder.Dimension, fingerprint);
            index = BuildIndex(device, store, whitening);
            EngineLog.IndexOpened(log, folder, options.ReadOnly ? "opened read-only" : exists ? "opened" : "created", store.Count,
                System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return new ImageSearchEngine(folder, options, modelPath, device, embedder, NewEmbedder, store, index, fingerprint, whitening, whiteningStamp, log);
        }
        catch
        {
            index?.Dispose();
            store?.Dispose();
            embedder?.Dispose();
            device.Dispose();
            throw;
        }
    }

    /// <summary>The preprocessing for a model: its sidecar <c>&lt;model&gt;.preprocess.json</c> or <c>preprocess.json</c> beside it,
    /// a known model's own (default, nsfwjs), else torchvision's ImageNet preset.</summary>
    public static PreprocessSpec PreprocessFor(string modelPath) => PreprocessWithSource(modelPath).Spec;

    /// <summary><see cref="PreprocessFor"/> and where the spec came from (logged when an engine opens).</summary>
    private static (PreprocessSpec Spec, string Source) PreprocessWithSource(string modelPath)
    {
        foreach (var sidecar in new[] { Path.ChangeExtension(modelPath, ".preprocess.json"), Path.Combine(Path.GetDirectoryName(modelPath)!, "preprocess.json") })
            if (File.Exists(sidecar)) return (PreprocessSpecJson.Read(File.ReadAllText(sidecar)), sidecar);
        return DefaultModel.PreprocessOf(modelPath) is { } known ? (known, "the known model's own spec")
            : (PreprocessPresets.Torchvision, PresetFallback);
    }

    private const string PresetFallback = "the torchvision ImageNet preset (no sidecar .preprocess.json)";

    /// <summary>Searches with ready embeddings (row-major, Q × <see cref="Dimension"/>, L2-normalised): exact top-k by cosine.</summary>
    public IReadOnlyList<IReadOnlyList<SearchHit>> Search(ReadOnlySpan<float> embeddings, int k)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        if (embeddings.Length == 0 || embeddings.Length % Dimension != 0)
            throw new ArgumentException($"embeddings must hold Q × {Dimension} floats, got {embeddings.Length}", nameof(embeddings));
        for (int q = 0; q < embeddings.Length / Dimension; q++)
            if (FiniteValues.CountNonFinite(embeddings.Slice(q * Dimension, Dimension)) > 0)
                throw new ArgumentException($"embedding row {q} holds NaN or infinity; it cannot be searched", nameof(embeddings));
        return SearchLocked(embeddings, k, allow: null);
    }

    /// <summary>Scans with an optional allow-list and resolves paths; the caller has checked the arguments.</summary>
    private List<IReadOnlyList<SearchHit>> SearchLocked(ReadOnlySpan<float> embeddings, int k, Func<IdFilter?>? allow)
    {
        RefreshIfChanged();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var result = new List<IReadOnlyList<SearchHit>>();
        IdFilter? filter = null;
        if (allow is not null)
        {
            lock (_catalogLock) filter = allow();
            if (filter is null)
            {
                for (int q = 0; q < embeddings.Length / Dimension; q++) result.Add([]);
                return result;
            }
        }
        SearchResult r;
        lock (_indexLock) r = _index.Search(ToSearchSpace(embeddings), k, Metric.Ip, filter);
        // Paths come from the catalog under its own lock, after the scan: an item deleted in between gets an empty path.
        lock (_catalogLock)
        {
            for (int q = 0; q < r.QueryCount; q++)
            {
                var hits = new List<SearchHit>(k);
                var ids = r.IdsOf(q);
                var scores = r.ScoresOf(q);
                for (int i = 0; i < ids.Length; i++)
                    if (ids[i] >= 0) hits.Add(new SearchHit(ids[i], _store.Get(ids[i])?.Path ?? "", scores[i]));
                result.Add(hits);
            }
        }
        EngineLog.Searched(_logger, r.QueryCount, k, filter is null ? "" : " (filtered)", System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return result;
    }

    /// <summary>Embeds one image file and returns its <paramref name="k"/> nearest indexed images.</summary>
    /// <exception cref="ImageDecodeException">The file is not a readable image.</exception>
    public IReadOnlyList<SearchHit> Search(string imagePath, int k)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var v = EmbedOne(ImageDecoder.DecodeFile(imagePath, DecodeOptions), imagePath, nameof(imagePath));
        return Search(v, k)[0];
    }

    /// <summary>
    /// Embeddings of image files (decoded on <see cref="EngineOptions.DecodeWorkers"/> threads): one L2-normalised row per
    /// image that decoded, in input order, plus the failures with the same reasons indexing reports.
    /// </summary>
    public EmbedResult Embed(IReadOnlyList<string> imagePaths)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(imagePaths);
        var paths = new List<string>();
        var vectors = new List<float>();
        var failures = new List<ImageFailure>();
        var requests = imagePaths.Select((p, i) => new DecodeRequest(i, p));
        foreach (var batch in EmbeddingPipeline.RunAsync(_embedder, requests, PipelineOptions).ToBlockingEnumerable())
        {
            paths.AddRange(batch.Embedded.Select(e => e.Path));
            vectors.AddRange(batch.Vectors);
            failures.AddRange(batch.Items.Where(i => batch.Failures.ContainsKey(i.Id)).Select(i => batch.Failures[i.Id]));
        }
        return new EmbedResult(paths, vectors.ToArray(), Dimension, failures);
    }

    private void ThrowIfReadOnly()
    {
        if (_options.ReadOnly) throw new InvalidOperationException($"the index at {Folder} was opened read-only (EngineOptions.ReadOnly); open it writable to add or delete");
    }

    /// <summary>Id, path and content hash of every indexed image, by id.</summary>
    public IReadOnlyList<(long Id, string Path, string ContentHash)> Items()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_catalogLock) return _store.LiveItems();
    }

    private DecodeOptions DecodeOptions => new() { MaxPixels = _options.MaxPixels };

    /// <summary>Deletes an image from the index by path; returns false if it was not there.</summary>
    public bool Delete(string path)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ThrowIfReadOnly();
        lock (_catalogLock)
        {
            var item = _store.Get(Path.GetFullPath(path));
            if (item is null) return false;
            _store.Delete(item.Id);
            lock (_indexLock) _index.Remove([item.Id]);
            return true;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        lock (_catalogLock)
        lock (_indexLock)
        lock (_queryEmbedderLock)
        {
            _index.Dispose();
            _store.Dispose();
            _queryEmbedder?.Dispose();
            _embedder.Dispose();
            _device.Dispose();
        }
    }
}

/// <summary>Embeddings of a set of files.</summary>
/// <param name="Paths">Files that embedded, in input order.</param>
/// <param name="Vectors">Row-major Paths.Count × Dim, L2-normalised (read-only: the result owns it).</param>
/// <param name="Dim">Embedding dimension.</param>
/// <param name="Failures">Files that did not.</param>
public sealed record EmbedResult(IReadOnlyList<string> Paths, ReadOnlyMemory<float> Vectors, int Dim, IReadOnlyList<ImageFailure> Failures)
{
    /// <summary>The embedding of <c>Paths[i]</c>.</summary>
    public ReadOnlySpan<float> Vector(int i)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(i);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(i, Paths.Count);
        return Vectors.Span.Slice(i * Dim, Dim);
    }
}
