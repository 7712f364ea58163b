// The MEVD/MEAI adapters used the way a Semantic Kernel app uses a vector store: a record class with attributes, a
// collection from the store, EnsureCollectionExistsAsync, embeddings from the IEmbeddingGenerator, upserts, filtered
// SearchAsync read with scores, gets, deletes; and records whose vector property is an image (DataContent) embedded
// by the collection itself. Real model (MobileNetV2 from ../shared) and photos on the PoCL CPU device.
using GpuSearch.Imaging;
using GpuSearch.Tests.Serve;
using GpuSearch.VectorData;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;

namespace GpuSearch.Tests.VectorData;

[Collection(ServeCollection.Name)]
[Trait("Backend", "OpenCL")]
public sealed class VectorStoreTests(ServeFixture fx) : IDisposable
{
    private const int Dim = 1280; // the MobileNetV2 embedding the serve fixture's model makes
    private readonly string _root = Path.Combine(Path.GetTempPath(), "gpusearch-mevd-" + Guid.NewGuid().ToString("N"));

    public sealed class Photo
    {
        [VectorStoreKey] public string Id { get; set; } = "";
        [VectorStoreData(IsIndexed = true)] public string Group { get; set; } = "";
        [VectorStoreData] public int N { get; set; }
        [VectorStoreData] public bool Portrait { get; set; }
        [VectorStoreData] public string? Caption { get; set; }
        [VectorStoreVector(Dim)] public ReadOnlyMemory<float> Embedding { get; set; }
    }

    public sealed class WrongDimension
    {
        [VectorStoreKey] public string Id { get; set; } = "";
        [VectorStoreVector(512)] public float[] Embedding { get; set; } = [];
    }

    public sealed class PhotoImage
    {
        [VectorStoreKey] public Guid Id { get; set; }
        [VectorStoreData] public string Name { get; set; } = "";
        [VectorStoreVector(Dim)] public DataContent? Image { get; set; }
    }

    private GpuSearchVectorStore NewStore() => new(_root, new GpuSearchVectorStoreOptions { Engine = ServeFixture.Options(readOnly: false) });

    private static async Task<List<VectorSearchResult<T>>> All<T>(IAsyncEnumerable<VectorSearchResult<T>> results) where T : class => await results.ToListAsync();

    [ServeFact]
    public async Task GeneratorEmbedsImagesAsTheEngineDoes()
    {
        var engine = fx.Engine;
        using IEmbeddingGenerator<DataContent, Embedding<float>> generator = new GpuSearchImageEmbeddingGenerator(engine);
        var photos = fx.Photos;
        var inputs = new[] { await DataContent.LoadFromAsync(photos[0]), await DataContent.LoadFromAsync(photos[2]) };
        var embeddings = await generator.GenerateAsync(inputs);
        Assert.Equal(2, embeddings.Count);
        for (int i = 0; i < 2; i++)
        {
            var stored = engine.GetVector(engine.FindItem(photos[i * 2])!.Id)!;
            Assert.Equal(Dim, embeddings[i].Vector.Length);
            Assert.True(Dot(stored, embeddings[i].Vector.Span) > 0.9999f, $"photo {i * 2}: the generator's vector is not the indexed one");
        }
        Assert.Equal(Dim, generator.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelDimensions);
        Assert.Contains("1280-dimensional", (await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync(inputs, new EmbeddingGenerationOptions { Dimensions = 64 }))).Message);
        Assert.Contains("text/plain", (await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync([new DataContent("abc"u8.ToArray(), "text/plain")]))).Message);
        var broken = new DataContent(File.ReadAllBytes(photos[0])[..200], "image/jpeg") { Name = "upload.jpg" };
        Assert.Contains("upload.jpg", (await Assert.ThrowsAsync<ImageDecodeException>(() => generator.GenerateAsync([broken]))).Message);
    }

    [ServeFact]
    public async Task SemanticKernelStyleUpsertSearchGetDelete()
    {
        using VectorStore store = NewStore();
        var collection = store.GetCollection<string, Photo>("photos");
        Assert.False(await collection.CollectionExistsAsync());
        await collection.EnsureCollectionExistsAsync();
        Assert.True(await collection.CollectionExistsAsync());
        Assert.Equal(["photos"], await store.ListCollectionNamesAsync().ToListAsync());

        // Embed with the collection's generator (the index's own model), then upsert records holding the vectors.
        var generator = (IEmbeddingGenerator<DataContent, Embedding<float>>)collection.GetService(typeof(IEmbeddingGenerator<DataContent, Embedding<float>>))!;
        var photos = fx.Photos;
        var embeddings = await generator.GenerateAsync(await Task.WhenAll(photos.Select(p => DataContent.LoadFromAsync(p).AsTask())));
        var records = photos.Select((p, i) => new Photo
        {
            Id = $"P{i}", Group = i % 2 == 0 ? "even" : "odd", N = i, Portrait = i % 3 == 0, Caption = i == 1 ? null : Path.GetFileName(p),
            Embedding = embeddings[i].Vector,
        }).ToArray();
        await collection.UpsertAsync(records);

        // Search by a vector: the photo itself first, scores best first.
        var query = embeddings[2].Vector;
        var ranking = await All(collection.SearchAsync(query, top: 10));
        Assert.Equal(photos.Length, ranking.Count);
        Assert.Equal("P2", ranking[0].Record.Id);
        Assert.True(ranking[0].Score > 0.999);
        Assert.True(ranking.Zip(ranking.Skip(1)).All(p => p.First.Score >= p.Second.Score));
        Assert.Equal(Path.GetFileName(photos[2]), ranking[0].Record.Caption);
        Assert.True(ranking[0].Record.Embedding.IsEmpty); // vectors only when asked for
        // The same query as float[], as Embedding<float>, and as the image itself (embedded by the collection's generator).
        Assert.Equal("P2", (await All(collection.SearchAsync(query.ToArray(), top: 1)))[0].Record.Id);
        Assert.Equal("P2", (await All(collection.SearchAsync(embeddings[2], top: 1)))[0].Record.Id);
        Assert.Equal("P2", (await All(collection.SearchAsync(await DataContent.LoadFromAsync(photos[2]), top: 1)))[0].Record.Id);
        Assert.Contains("Int32", (await Assert.ThrowsAsync<NotSupportedException>(() => All(collection.SearchAsync(42, top: 1)))).Message);

        // Filters: each one the exact top-k among the allowed records, i.e. the full ranking cut to them.
        int[] wanted = [0, 3, 4];
        var threshold = ranking[2].Score!.Value;
        (System.Linq.Expressions.Expression<Func<Photo, bool>> Filter, Func<Photo, bool> Allows)[] cases =
        [
            (r => r.Group == "odd" && r.N >= 1, r => r.Group == "odd" && r.N >= 1),
            (r => wanted.Contains(r.N), r => wanted.Contains(r.N)),
            (r => r.Portrait, r => r.Portrait),
            (r => r.N > 1 && r.N < 4, r => r.N > 1 && r.N < 4),
        ];
        foreach (var (filter, allows) in cases)
        {
            var hits = await All(collection.SearchAsync(query, top: 2, new VectorSearchOptions<Photo> { Filter = filter }));
            Assert.Equal(ranking.Where(h => allows(h.Record)).Take(2).Select(h => h.Record.Id), hits.Select(h => h.Record.Id));
        }
        var page = await All(collection.SearchAsync(query, top: 2, new VectorSearchOptions<Photo> { Skip = 1 }));
        Assert.Equal(ranking.Skip(1).Take(2).Select(h => h.Record.Id), page.Select(h => h.Record.Id));
        var above = await All(collection.SearchAsync(query, top: 10, new VectorSearchOptions<Photo> { ScoreThreshold = threshold }));
        Assert.Equal(ranking.Where(h => h.Score >= (float)threshold).Select(h => h.Record.Id), above.Select(h => h.Record.Id));
        Assert.Contains("'||'", (await Assert.ThrowsAsync<NotSupportedException>(() =>
            All(collection.SearchAsync(query, 3, new VectorSearchOptions<Photo> { Filter = r => r.N == 1 || r.N == 2 })))).Message);

        // Get by key (with the stored, L2-normalised vector when asked), by filter, missing keys.
        var p1 = (await collection.GetAsync("P1", new RecordRetrievalOptions { IncludeVectors = true }))!;
        Assert.Equal(("odd", 1, false, (string?)null), (p1.Group, p1.N, p1.Portrait, p1.Caption));
        Assert.True(Dot(p1.Embedding.Span, embeddings[1].Vector.Span) > 0.9999f);
        Assert.Null(await collection.GetAsync("nope"));
        Assert.Equal(["P0", "P2", "P4"], await collection.GetAsync(r => r.Group == "even", top: 10).Select(r => r.Id).ToListAsync());

        // Upsert replaces by key; delete removes from gets and searches.
        records[0].N = 100;
        await collection.UpsertAsync(records[0]);
        Assert.Equal(100, (await collection.GetAsync("P0"))!.N);
        // A caller's vector of any length is stored L2-normalised (scores stay cosine similarities).
        records[3].Embedding = embeddings[3].Vector.ToArray().Select(x => x * 3f).ToArray();
        await collection.UpsertAsync(records[3]);
        var p3 = (await collection.GetAsync("P3", new RecordRetrievalOptions { IncludeVectors = true }))!;
        Assert.InRange(Dot(p3.Embedding.Span, p3.Embedding.Span), 0.9999f, 1.0001f);
        Assert.InRange((await All(collection.SearchAsync(p3.Embedding, top: 1)))[0].Score!.Value, 0.9999, 1.0001);
        Assert.Equal(photos.Length, await collection.GetAsync(r => true, top: 100).CountAsync());
        await collection.DeleteAsync("P4");
        Assert.Null(await collection.GetAsync("P4"));
        Assert.DoesNotContain(await All(collection.SearchAsync(query, top: 10)), h => h.Record.Id == "P4");

        // Bad input is refused before anything is stored; names cannot leave the root; dimensions must match the model.
        var nan = new float[Dim];
        nan[0] = float.NaN;
        await Assert.ThrowsAsync<ArgumentException>(() => collection.UpsertAsync(new Photo { Id = "bad", Embedding = nan }));
        Assert.Contains($"{Dim} floats", (await Assert.ThrowsAsync<ArgumentException>(() => collection.UpsertAsync(new Photo { Id = "bad", Embedding = new float[3] }))).Message);
        Assert.Contains("all zeros", (await Assert.ThrowsAsync<ArgumentException>(() => collection.UpsertAsync(new Photo { Id = "bad", Embedding = new float[Dim] }))).Message);
        Assert.Null(await collection.GetAsync("bad"));
        // A batch is one transaction checked up front: a bad record keeps the good ones out too.
        var good = new Photo { Id = "good", Embedding = embeddings[0].Vector };
        await Assert.ThrowsAsync<ArgumentException>(() => collection.UpsertAsync([good, new Photo { Id = "bad", Embedding = nan }]));
        Assert.Contains("twice", (await Assert.ThrowsAsync<ArgumentException>(() => collection.UpsertAsync([good, good]))).Message);
        Assert.Null(await collection.GetAsync("good"));
        Assert.Throws<ArgumentException>(() => store.GetCollection<string, Photo>("../escape"));
        Assert.Contains("512", (await Assert.ThrowsAsync<InvalidOperationException>(() => store.GetCollection<string, WrongDimension>("photos").EnsureCollectionExistsAsync())).Message);
        await Assert.ThrowsAsync<VectorStoreException>(() => store.GetCollection<string, Photo>("absent").GetAsync("P0"));

        await collection.EnsureCollectionDeletedAsync();
        Assert.False(await collection.CollectionExistsAsync());
        Assert.False(Directory.Exists(Path.Combine(_root, "photos")));
    }

    [ServeFact]
    public async Task ImageRecordsAreEmbeddedByTheCollection()
    {
        using var store = NewStore();
        var collection = store.GetCollection<Guid, PhotoImage>("images");
        await collection.EnsureCollectionExistsAsync();
        var photos = fx.Photos[..3];
        var records = new List<PhotoImage>();
        foreach (var p in photos) records.Add(new PhotoImage { Name = Path.GetFileName(p), Image = await DataContent.LoadFromAsync(p) });
        await collection.UpsertAsync(records);
        Assert.All(records, r => Assert.NotEqual(Guid.Empty, r.Id)); // auto-generated Guid keys

        // Search by an image: embedded by the same model, so the photo finds its own record.
        var hits = await All(collection.SearchAsync(await DataContent.LoadFromAsync(photos[1]), top: 2));
        Assert.Equal(Path.GetFileName(photos[1]), hits[0].Record.Name);
        Assert.Equal(records[1].Id, hits[0].Record.Id);
        Assert.True(hits[0].Score > 0.999);
        Assert.Null(hits[0].Record.Image); // an image property is not read back
        await Assert.ThrowsAsync<NotSupportedException>(() => collection.GetAsync(records[0].Id, new RecordRetrievalOptions { IncludeVectors = true }));
        Assert.Equal(Path.GetFileName(photos[2]), (await collection.GetAsync(records[2].Id))!.Name);
    }

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}
