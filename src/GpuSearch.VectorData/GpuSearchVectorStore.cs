// A Microsoft.Extensions.VectorData store over a folder of GpuSearch indexes: each collection is one index folder
// under the root, named by the collection. Engines are opened once per collection and shared by every collection
// object of that name (an index folder is locked by the engine that writes it), and closed with the store.
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;

namespace GpuSearch.VectorData;

/// <summary>Options of a <see cref="GpuSearchVectorStore"/>.</summary>
public sealed record GpuSearchVectorStoreOptions
{
    /// <summary>How each collection's index is opened (device, model, batch size...); CreateIfMissing and ReadOnly are set per operation.</summary>
    public EngineOptions Engine { get; init; } = new();

    /// <summary>
    /// The embedding generator for vector properties that are not float vectors, and for searches by such values. Null:
    /// each collection's own image model (<see cref="GpuSearchImageEmbeddingGenerator"/>), so a
    /// <see cref="DataContent"/> vector property or search value is embedded by the index's model.
    /// </summary>
    public IEmbeddingGenerator? EmbeddingGenerator { get; init; }

    /// <summary>Open every index read-only (queries beside a writer in another process); upserts and deletes then throw.</summary>
    public bool ReadOnly { get; init; }
}

/// <summary>
/// A vector store whose collections are GpuSearch index folders under <see cref="Root"/>. Collection names are 1–128
/// characters of letters, digits, '_', '-' and '.', and never "." or "..", so a name cannot reach outside the root.
/// </summary>
public sealed class GpuSearchVectorStore : VectorStore
{
    internal const string SystemName = "gpusearch";
    private readonly Dictionary<string, Task<ImageSearchEngine>> _engines = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private bool _disposed;

    /// <summary>The folder holding one index folder per collection.</summary>
    public string Root { get; }

    /// <summary>The options every collection's index is opened with.</summary>
    public GpuSearchVectorStoreOptions Options { get; }

    /// <summary>A store over <paramref name="root"/> (created when the first collection is).</summary>
    public GpuSearchVectorStore(string root, GpuSearchVectorStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root)); // "indexes/" and "indexes" are one root
        Options = options ?? new GpuSearchVectorStoreOptions();
    }

    /// <inheritdoc />
    public override VectorStoreCollection<TKey, TRecord> GetCollection<TKey, TRecord>(string name, VectorStoreCollectionDefinition? definition = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        FolderOf(name);
        return new GpuSearchCollection<TKey, TRecord>(this, name, definition);
    }

    /// <summary>Not supported: GpuSearch collections map record classes (Dictionary records are not translated).</summary>
    public override VectorStoreCollection<object, Dictionary<string, object?>> GetDynamicCollection(string name, VectorStoreCollectionDefinition definition) =>
        throw new NotSupportedException("GpuSearch collections need a record class with [VectorStoreKey]/[VectorStoreData]/[VectorStoreVector] attributes; dynamic (Dictionary) collections are not supported");

    /// <inheritdoc />
    public override async IAsyncEnumerable<string> ListCollectionNamesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!Directory.Exists(Root)) yield break;
        foreach (var dir in await Task.Run(() => Directory.GetDirectories(Root).Order(StringComparer.Ordinal).ToArray(), cancellationToken).ConfigureAwait(false))
        {
            var name = Path.GetFileName(dir);
            if (IsValidName(name) && HoldsIndex(dir)) yield return name;
        }
    }

    /// <inheritdoc />
    public override Task<bool> CollectionExistsAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult(HoldsIndex(FolderOf(name)));

    /// <summary>Closes the collection's index and deletes its folder; nothing happens when there is none.</summary>
    /// <exception cref="IOException">The folder exists but holds no index (it is left alone).</exception>
    public override async Task EnsureCollectionDeletedAsync(string name, CancellationToken cancellationToken = default)
    {
        var folder = FolderOf(name);
        if (Options.ReadOnly) throw new InvalidOperationException($"the store at {Root} is read-only; collection '{name}' is not deleted");
        Task<ImageSearchEngine>? open;
        lock (_gate) { _engines.Remove(name, out open); }
        if (open is not null) (await open.ConfigureAwait(false)).Dispose();
        if (!Directory.Exists(folder)) return;
        if (!HoldsIndex(folder)) throw new IOException($"{folder} is not a GpuSearch index (no catalog.sqlite); it is not deleted");
        await Task.Run(() => Directory.Delete(folder, recursive: true), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(VectorStoreMetadata)) return new VectorStoreMetadata { VectorStoreSystemName = SystemName, VectorStoreName = Root };
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>The open engine of collection <paramref name="name"/>; when none is open, opens the index (creating it when <paramref name="create"/>), or returns null when it does not exist.</summary>
    internal async Task<ImageSearchEngine?> EngineAsync(string name, bool create, CancellationToken cancellationToken)
    {
        var folder = FolderOf(name);
        Task<ImageSearchEngine> task;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_engines.TryGetValue(name, out task!))
            {
                if (!create && !HoldsIndex(folder)) return null;
                var options = Options.Engine with { CreateIfMissing = create && !Options.ReadOnly, ReadOnly = Options.ReadOnly };
                // Opening compiles kernels (seconds on first use), so it runs off the caller's thread, once per collection.
                task = _engines[name] = Task.Run(() => ImageSearchEngine.Open(folder, options), CancellationToken.None);
            }
        }
        try { return await task.WaitAsync(cancellationToken).ConfigureAwait(false); }
        catch (Exception) when (task.IsFaulted)
        {
            lock (_gate) { if (_engines.TryGetValue(name, out var t) && t == task) _engines.Remove(name); }
            throw;
        }
    }

    /// <summary>The folder of collection <paramref name="name"/>, after checking the name cannot leave the root.</summary>
    internal string FolderOf(string name)
    {
        if (!IsValidName(name))
            throw new ArgumentException($"collection name '{name}' must be 1–128 characters of letters, digits, '_', '-' and '.', and not '.' or '..'", nameof(name));
        var folder = Path.GetFullPath(Path.Combine(Root, name));
        if (Path.GetDirectoryName(folder) != Root) throw new ArgumentException($"collection name '{name}' leaves the store's root", nameof(name));
        return folder;
    }

    private static bool IsValidName(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= 128 && name is not ("." or "..") && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.');

    private static bool HoldsIndex(string folder) => File.Exists(Path.Combine(folder, "catalog.sqlite"));

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            Task<ImageSearchEngine>[] open;
            lock (_gate) { _disposed = true; open = _engines.Values.ToArray(); _engines.Clear(); }
            foreach (var t in open)
            {
                try { t.GetAwaiter().GetResult().Dispose(); }
                catch (Exception) when (t.IsFaulted) { } // that open failed and was reported to its caller; nothing to close
            }
        }
        base.Dispose(disposing);
    }
}
