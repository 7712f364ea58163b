// PCA-whitening as an index option. The segments keep the raw model vectors; whitening.bin holds the transform,
// learned from them. At open the stored vectors are whitened into the search index, and every query (files,
// uploads, vectors, "more like this", dedup tiles) passes through ToSearchSpace, the one place that applies it, so a
// raw vector never meets a whitened one. Learning computes the covariance with the device GEMM and decomposes it on the
// host (Householder + QL, SymmetricEigen.cs). The transform runs on the host: it is one D × K product per vector, small
// beside the CNN, and keeps the device code unchanged (a GEMM on the device would pay off for indexes of millions).
using GpuSearch.Compute;
using GpuSearch.Search;
using GpuSearch.Store;

namespace GpuSearch;

public sealed partial class ImageSearchEngine
{
    private StoredWhitening? _whitening;

    /// <summary>The whitening applied to stored vectors and queries, or null when the index is searched raw.</summary>
    public StoredWhitening? Whitening { get { lock (_indexLock) return _whitening; } }

    /// <summary>
    /// Learns a PCA-whitening from every live vector (<see cref="PcaWhitening.Learn(ReadOnlySpan{float}, int, double, int?)"/>; the covariance is a device GEMM), stores it in the index folder
    /// (<see cref="WhiteningFile"/>) and searches with it from now on; the stored raw vectors are unchanged.
    /// </summary>
    /// <param name="outputDimension">Axes kept (null: all).</param>
    /// <param name="shrinkage">Variance shrinkage s in [0, 1]; a small index needs a large one (README, Retrieval quality).</param>
    /// <exception cref="InvalidOperationException">Read-only, or fewer than two images.</exception>
    public StoredWhitening Whiten(int? outputDimension = null, double shrinkage = 0.5)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ThrowIfReadOnly();
        if (Dimension > WhiteningFile.MaxDimension)
            throw new InvalidOperationException($"whitening is limited to {WhiteningFile.MaxDimension}-d embeddings; this index holds {Dimension}-d ones");
        lock (_catalogLock)
        {
            var raw = new List<float>();
            foreach (var batch in _store.ReadLive()) raw.AddRange(batch.ToFloat32());
            long rows = raw.Count / Dimension;
            if (rows < 2) throw new InvalidOperationException($"the index at {Folder} holds {rows} image(s); whitening needs at least 2");
            var learned = new StoredWhitening(PcaWhitening.Learn(_device, raw.ToArray(), Dimension, shrinkage, outputDimension), Fingerprint.Hash, rows);
            WhiteningFile.Write(Path.Combine(Folder, WhiteningFile.FileName), learned);
            Rebuild(learned);
            return learned;
        }
    }

    /// <summary>Deletes the stored whitening and searches the raw vectors again; false when there was none.</summary>
    public bool RemoveWhitening()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ThrowIfReadOnly();
        lock (_catalogLock)
        {
            var path = Path.Combine(Folder, WhiteningFile.FileName);
            if (!File.Exists(path)) return false;
            File.Delete(path);
            Rebuild(null);
            return true;
        }
    }

    /// <summary>Query or stored vectors (Q × <see cref="Dimension"/>) in the space the index is searched in.</summary>
    private float[] ToSearchSpace(ReadOnlySpan<float> raw)
    {
        var w = _whitening;
        return w is null ? raw.ToArray() : w.Whitening.Apply(raw);
    }

    /// <summary>Builds the device vectors anew (the caller holds the catalog's lock); searches keep using the old ones until the swap.</summary>
    private void Rebuild(StoredWhitening? whitening)
    {
        var index = BuildIndex(_device, _store, whitening);
        lock (_indexLock)
        {
            _index.Dispose();
            _index = index;
            _whitening = whitening;
        }
    }

    private static StoredWhitening? ReadWhitening(string folder, int dimension, ModelFingerprint fingerprint)
    {
        var path = Path.Combine(folder, WhiteningFile.FileName);
        return File.Exists(path) ? WhiteningFile.Read(path, dimension, fingerprint.Hash) : null;
    }

    private static FlatIndex BuildIndex(ComputeDevice device, IndexStore store, StoredWhitening? whitening)
    {
        var index = new FlatIndex(device, whitening?.Whitening.OutputDimension ?? store.Metadata.Fingerprint.Dim);
        try
        {
            foreach (var batch in store.ReadLive())
            {
                var raw = batch.ToFloat32();
                index.Add(whitening is null ? raw : whitening.Whitening.Apply(raw), batch.Ids);
            }
            return index;
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }
}
