// Bulk paths of the host API: indexing (decode on N threads → embed → commit → report) and bulk queries.
// A batch is reported (onCommitted, progress) only after the store has made it durable, so a crash at any
// point loses nothing reported; a re-run skips files whose path and content are already indexed.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using GpuSearch.Embedding;
using GpuSearch.Imaging;
using GpuSearch.Store;

namespace GpuSearch;

public sealed partial class ImageSearchEngine
{
    /// <summary>
    /// Adds image files (folders are scanned recursively; list files name one path per line). Files already indexed
    /// with the same content are skipped; a file whose content changed replaces its old entry. Bad files are reported
    /// in <see cref="IndexReport.Failures"/> and never stop the run. Concurrent calls on one engine run one after the
    /// other (a second call waits, then skips what the first added), so the same image is never embedded twice.
    /// </summary>
    /// <param name="inputs">Files, folders or list files.</param>
    /// <param name="progress">Receives progress after every committed batch.</param>
    /// <param name="cancellationToken">Stops after the batch in flight; everything committed stays.</param>
    /// <param name="onCommitted">Called after each batch is durable, with the ids and paths it added.</param>
    public async Task<IndexReport> AddImagesAsync(IEnumerable<string> inputs, IProgress<IndexProgress>? progress = null,
        CancellationToken cancellationToken = default, Action<AddedBatch>? onCommitted = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ThrowIfReadOnly();
        // Two adds at once would both decide "new" for the same files before either commits, then race to
        // add the same ids; serialised, the second one's skip check sees what the first committed.
        await _addGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var report = await AddImagesLockedAsync(inputs, progress, cancellationToken, onCommitted).ConfigureAwait(false);
            EngineLog.AddFinished(_logger, report.Added, report.Skipped, report.Failures.Count, report.Elapsed.TotalMilliseconds);
            return report;
        }
        catch (OperationCanceledException)
        {
            EngineLog.AddCancelled(_logger, Folder);
            throw;
        }
        finally { _addGate.Release(); }
    }

    private async Task<IndexReport> AddImagesLockedAsync(IEnumerable<string> inputs, IProgress<IndexProgress>? progress,
        CancellationToken cancellationToken, Action<AddedBatch>? onCommitted)
    {
        var paths = ImageFiles.Expand(inputs);
        var sw = Stopwatch.StartNew();
        long added = 0, skipped = 0;
        var failures = new List<ImageFailure>();
        void Report() => progress?.Report(new IndexProgress(paths.Count, added + skipped + failures.Count, added, skipped, failures.Count, sw.Elapsed));

        // Files already indexed are hashed here to decide skip/replace; new files are hashed as they are read.
        var todo = new List<DecodeRequest>();
        var replaced = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int i = 0; i < paths.Count; i++)
        {
            StoredItem? existing;
            lock (_catalogLock) existing = _store.Get(paths[i]);
            if (existing is not null)
            {
                string hash;
                try { hash = ContentHash.OfFile(paths[i]); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    failures.Add(new ImageFailure(paths[i], nameof(DecodeFailureReason.IoError), e.Message));
                    EngineLog.ImageFailed(_logger, paths[i], nameof(DecodeFailureReason.IoError), e.Message);
                    continue;
                }
                if (hash == existing.ContentHash) { skipped++; continue; }
                replaced[paths[i]] = existing.Id;
            }
            todo.Add(new DecodeRequest(i, paths[i]));
        }
        Report();
        EngineLog.AddStarted(_logger, Folder, paths.Count, todo.Count, skipped);

        var read = new ConcurrentDictionary<long, (string Hash, long Size)>();
        var options = PipelineOptions with { OnFileRead = (req, bytes) => read[req.Id] = (ContentHash.Of(bytes.Span), bytes.Length) };
        await foreach (var batch in EmbeddingPipeline.RunAsync(_embedder, todo, options, cancellationToken))
        {
            failures.AddRange(batch.Failures.Values);
            foreach (var f in batch.Failures.Values) EngineLog.ImageFailed(_logger, f.Path, f.Reason, f.Message);
            var good = batch.Embedded;
            if (good.Count > 0)
            {
                long[] ids;
                var items = good.Select((g, j) =>
                    new ItemToAdd(g.Path, read[g.Id].Hash, read[g.Id].Size, batch.Vectors.AsMemory(j * Dimension, Dimension))).ToArray();
                // The commit (with its fsyncs) holds only the catalog's lock; searches scan meanwhile and see the batch
                // once it is in the device vectors too.
                lock (_catalogLock) ids = _store.Add(items);
                var old = good.Where(g => replaced.ContainsKey(g.Path)).Select(g => replaced[g.Path]).ToArray();
                lock (_indexLock)
                {
                    if (old.Length > 0) _index.Remove(old);
                    _index.Add(ToSearchSpace(batch.Vectors), ids);
                }
                added += ids.Length;
                EngineLog.BatchCommitted(_logger, ids.Length, old.Length, added);
                onCommitted?.Invoke(new AddedBatch(ids, good.Select(g => g.Path).ToArray()));
            }
            foreach (var item in batch.Items) read.TryRemove(item.Id, out _);
            Report();
        }
        return new IndexReport(added, skipped, failures, sw.Elapsed);
    }

    private DecodePipelineOptions PipelineOptions => new()
    {
        BatchSize = _options.BatchSize, WorkerCount = _options.DecodeWorkers, Decode = DecodeOptions,
        MaxFileBytes = _options.MaxImageBytes,
    };

    /// <summary>
    /// Queries with many image files (folders and list files expanded), decoding on N threads and embedding in
    /// batches; yields one outcome per file, in input order, failures included.
    /// </summary>
    public async IAsyncEnumerable<QueryOutcome> QueryImagesAsync(IEnumerable<string> inputs, int k,
        IProgress<IndexProgress>? progress = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        var paths = ImageFiles.Expand(inputs);
        var sw = Stopwatch.StartNew();
        long done = 0, failed = 0;
        var requests = paths.Select((p, i) => new DecodeRequest(i, p));
        await foreach (var batch in EmbeddingPipeline.RunAsync(_embedder, requests, PipelineOptions, cancellationToken))
        {
            var hits = batch.Embedded.Count > 0 ? Search(batch.Vectors, k) : [];
            int next = 0;
            foreach (var item in batch.Items)
            {
                done++;
                if (batch.Failures.TryGetValue(item.Id, out var f))
                {
                    failed++;
                    EngineLog.QueryFailed(_logger, f.Path, f.Reason, f.Message);
                    yield return new QueryOutcome(item.Path, [], f);
                }
                else yield return new QueryOutcome(item.Path, hits[next++], null);
            }
            progress?.Report(new IndexProgress(paths.Count, done, done - failed, 0, failed, sw.Elapsed));
        }
    }
}
