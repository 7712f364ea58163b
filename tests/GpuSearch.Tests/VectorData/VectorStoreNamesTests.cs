// Collection names as folders: only names that stay directly under the store's root are accepted, whatever the
// spelling of the root. No device: getting a collection opens nothing.
using GpuSearch.VectorData;
using Microsoft.Extensions.VectorData;

namespace GpuSearch.Tests.VectorData;

public sealed class VectorStoreNamesTests
{
    private sealed class Note
    {
        [VectorStoreKey] public long Id { get; set; }
        [VectorStoreData] public string Text { get; set; } = "";
        [VectorStoreVector(8)] public float[] Embedding { get; set; } = [];
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("../up")]
    [InlineData("a/b")]
    [InlineData("/abs")]
    [InlineData("sp ace")]
    [InlineData("nul\0")]
    public void NamesThatLeaveTheRootOrAreNotPlainAreRefused(string name)
    {
        using var store = new GpuSearchVectorStore(Path.Combine(Path.GetTempPath(), "gpusearch-names"));
        var e = Assert.Throws<ArgumentException>(() => store.GetCollection<long, Note>(name));
        Assert.Equal("name", e.ParamName);
    }

    [Theory]
    [InlineData("photos")]
    [InlineData("v1.2_images-EU")]
    public void PlainNamesAreFoldersDirectlyUnderTheRoot(string name)
    {
        var root = Path.Combine(Path.GetTempPath(), "gpusearch-names-" + Guid.NewGuid().ToString("N"));
        using var store = new GpuSearchVectorStore(root + Path.DirectorySeparatorChar); // a trailing separator is the same root
        var collection = store.GetCollection<long, Note>(name);
        Assert.Equal(name, collection.Name);
        Assert.Equal(root, store.Root);
        Assert.False(Directory.Exists(root)); // nothing is created before EnsureCollectionExistsAsync
        Assert.Equal("gpusearch", ((VectorStoreCollectionMetadata)collection.GetService(typeof(VectorStoreCollectionMetadata))!).VectorStoreSystemName);
        Assert.Throws<NotSupportedException>(() => store.GetDynamicCollection(name, new VectorStoreCollectionDefinition()));
    }
}
