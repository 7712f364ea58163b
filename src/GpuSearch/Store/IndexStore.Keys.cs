// Caller keys and metadata filters on the store: lookups by key and the ids a metadata filter allows.
namespace GpuSearch.Store;

internal sealed partial class IndexStore
{
    /// <summary>The live item with caller key <paramref name="key"/>, or null.</summary>
    public StoredItem? GetByKey(string key) =>
        _catalog.HasKeys ? _catalog.GetItem("i.key=$k AND i.deleted=0", ("$k", key)) : null;

    /// <summary>Tombstones the live item with caller key <paramref name="key"/>. False if there is none.</summary>
    public bool DeleteByKey(string key)
    {
        ThrowIfReadOnly();
        return _catalog.FindLiveKey(key) is { } hit && _catalog.Tombstone(hit.Id);
    }

    /// <summary>Ids of the live items whose metadata (labels) satisfy <paramref name="filter"/>, ascending.</summary>
    public IReadOnlyList<long> FilterIds(SearchFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return _catalog.FilterIds(filter);
    }
}
