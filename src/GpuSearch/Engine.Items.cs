// Item lookups by id for callers that must never take a path from their input (a web service): an item,
// a page of items, its stored vector, deleting one. All go through the catalog's lock because its SQLite
// connection is not thread-safe (never the device: they do not wait for searches or embedding).
using GpuSearch.Store;

namespace GpuSearch;

public sealed partial class ImageSearchEngine
{
    /// <summary>True when the index was opened with <see cref="EngineOptions.ReadOnly"/>.</summary>
    public bool IsReadOnly => _store.IsReadOnly;

    /// <summary>The live item with id <paramref name="id"/>, or null (unknown, deleted, or negative).</summary>
    public StoredItem? GetItem(long id)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (id < 0) return null;
        lock (_catalogLock) return _store.Get(id) is { Deleted: false } item ? item : null;
    }

    /// <summary>The live item indexed from <paramref name="path"/> (made absolute), or null.</summary>
    public StoredItem? FindItem(string path)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_catalogLock) return _store.Get(Path.GetFullPath(path));
    }

    /// <summary>Live items in id order: at most <paramref name="limit"/> after skipping <paramref name="offset"/>.</summary>
    public IReadOnlyList<StoredItem> ListItems(long offset, int limit)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_catalogLock) return _store.List(offset, limit);
    }

    /// <summary>The stored (L2-normalised) vector of a live item, or null when there is none with that id.</summary>
    public float[]? GetVector(long id)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (id < 0) return null;
        lock (_catalogLock) return _store.Get(id) is { Deleted: false } ? _store.GetVector(id) : null;
    }

    /// <summary>Deletes the live item <paramref name="id"/> from the index and from search; false when there is none.</summary>
    /// <exception cref="InvalidOperationException">The engine was opened read-only.</exception>
    public bool Delete(long id)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_catalogLock)
        {
            if (_store.Get(id) is not { Deleted: false }) return false;
            _store.Delete(id);
            lock (_indexLock) _index.Remove([id]);
            return true;
        }
    }
}
