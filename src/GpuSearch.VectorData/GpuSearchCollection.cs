// One GpuSearch index as a Microsoft.Extensions.VectorData collection: records are the caller's key, data
// properties kept as the item's metadata JSON, and one vector (given as floats, or made from an image by the
// embedding generator). Reads and writes go through the engine's keyed API; searches run the engine's exact scan
// with the record filter translated to a SearchFilter (GpuSearchCollection.Search.cs).
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;
using System.Linq.Expressions;
using System.Runtime.CompilerServices;

namespace GpuSearch.VectorData;

/// <summary>
/// A collection of <typeparamref name="TRecord"/> in one GpuSearch index folder. Get it from
/// <see cref="GpuSearchVectorStore.GetCollection{TKey, TRecord}"/>. Keys are string, long, int or Guid (stored as the
/// engine's string key); vectors are stored L2-normalised and scored by cosine similarity.
/// </summary>
/// <typeparam name="TKey">The record key type.</typeparam>
/// <typeparam name="TRecord">The record class (attributes or a definition say which properties are key, data and vector).</typeparam>
public sealed partial class GpuSearchCollection<TKey, TRecord> : VectorStoreCollection<TKey, TRecord>
    where TKey : notnull
    where TRecord : class
{
    private readonly GpuSearchVectorStore _store;
    private readonly RecordMapper _mapper;

    internal GpuSearchCollection(GpuSearchVectorStore store, string name, VectorStoreCollectionDefinition? definition)
    {
        if (!RecordKeys.IsSupported(typeof(TKey))) throw new NotSupportedException($"key type {typeof(TKey).Name} is not supported; GpuSearch keys are string, long, int or Guid");
        _store = store;
        Name = name;
        var generator = store.Options.EmbeddingGenerator
            ?? new GpuSearchImageEmbeddingGenerator(RequireEngineAsync, Path.GetFileName(store.Options.Engine.ModelPath ?? "default-model"));
        _mapper = new RecordMapper(new GpuSearchModelBuilder().Build(typeof(TRecord), typeof(TKey), definition, generator));
    }

    private CollectionModel Model => _mapper.Model;

    /// <inheritdoc />
    public override string Name { get; }

    /// <inheritdoc />
    public override Task<bool> CollectionExistsAsync(CancellationToken cancellationToken = default) => _store.CollectionExistsAsync(Name, cancellationToken);

    /// <summary>Creates the index folder when there is none, and opens it (compiling kernels on first use).</summary>
    /// <exception cref="InvalidOperationException">The record's vector dimension is not the model's.</exception>
    public override async Task EnsureCollectionExistsAsync(CancellationToken cancellationToken = default) =>
        CheckDimension((await _store.EngineAsync(Name, create: true, cancellationToken).ConfigureAwait(false))!);

    /// <inheritdoc />
    public override Task EnsureCollectionDeletedAsync(CancellationToken cancellationToken = default) => _store.EnsureCollectionDeletedAsync(Name, cancellationToken);

    /// <inheritdoc />
    public override async Task<TRecord?> GetAsync(TKey key, RecordRetrievalOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        bool vectors = CheckIncludeVectors(options?.IncludeVectors ?? false);
        var engine = await RequireEngineAsync(cancellationToken).ConfigureAwait(false);
        var item = engine.GetByKey(RecordKeys.ToEngineKey(key));
        return item is null ? null : _mapper.ToRecord<TRecord>(key, item.LabelsJson, vectors ? engine.GetVector(item.Id) : null);
    }

    /// <summary>Records the filter allows, in the order they were added; OrderBy is not supported.</summary>
    public override async IAsyncEnumerable<TRecord> GetAsync(Expression<Func<TRecord, bool>> filter, int top, FilteredRecordRetrievalOptions<TRecord>? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(top);
        if (options?.OrderBy is not null) throw new NotSupportedException("GpuSearch collections return filtered records in the order they were added; OrderBy is not supported");
        int skip = options?.Skip ?? 0;
        ArgumentOutOfRangeException.ThrowIfNegative(skip, nameof(options));
        bool vectors = CheckIncludeVectors(options?.IncludeVectors ?? false);
        var translated = FilterTranslator.Translate(filter, Model);
        if (translated.MatchesNothing) yield break;
        var engine = await RequireEngineAsync(cancellationToken).ConfigureAwait(false);
        foreach (var item in LiveItems(engine, translated.Filter))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (item.Key is null || RecordKeys.FromEngineKey(item.Key, typeof(TKey)) is not { } key) continue; // not a record of this collection
            if (skip > 0) { skip--; continue; }
            yield return _mapper.ToRecord<TRecord>(key, item.LabelsJson, vectors ? engine.GetVector(item.Id) : null);
            if (--top == 0) yield break;
        }
    }

    private static IEnumerable<GpuSearch.Store.StoredItem> LiveItems(ImageSearchEngine engine, SearchFilter? filter)
    {
        if (filter is not null)
        {
            foreach (var id in engine.FilterIds(filter))
                if (engine.GetItem(id) is { } item) yield return item;
            yield break;
        }
        const int page = 256;
        for (long offset = 0; ; offset += page)
        {
            var items = engine.ListItems(offset, page);
            foreach (var item in items) yield return item;
            if (items.Count < page) yield break;
        }
    }

    /// <inheritdoc />
    public override async Task DeleteAsync(TKey key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var engine = await RequireEngineAsync(cancellationToken).ConfigureAwait(false);
        engine.DeleteByKey(RecordKeys.ToEngineKey(key));
    }

    /// <inheritdoc />
    public override Task UpsertAsync(TRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        return UpsertAsync([record], cancellationToken);
    }

    /// <summary>
    /// Stores each record under its key, replacing the record with that key; the batch is one crash-safe transaction.
    /// A vector property that is not a float vector (an image as <see cref="Microsoft.Extensions.AI.DataContent"/>) is
    /// embedded first, all records in one call to the generator. An auto-generated Guid key that is empty gets a new Guid.
    /// </summary>
    /// <exception cref="ArgumentException">A record without a vector, a vector of the wrong length, with NaN/infinity or all zeros, or one key twice.</exception>
    public override async Task UpsertAsync(IEnumerable<TRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var list = records.ToArray();
        if (list.Length == 0) return;
        var vp = Model.VectorProperty;
        var values = list.Select(r => vp.GetValueAsObject(r ?? throw new ArgumentException("a record is null", nameof(records)))).ToArray();
        for (int i = 0; i < list.Length; i++)
            if (values[i] is null) throw new ArgumentException($"record {i} has no value in vector property '{vp.ModelName}'; every GpuSearch record holds one vector", nameof(records));
        var engine = await RequireEngineAsync(cancellationToken).ConfigureAwait(false);
        var vectors = new ReadOnlyMemory<float>[list.Length];
        if (GpuSearchModelBuilder.IsNativeVector(vp.Type))
            for (int i = 0; i < list.Length; i++) vectors[i] = RecordMapper.VectorOf(values[i])!.Value;
        else
        {
            var generated = await vp.GenerateEmbeddingsAsync(values!, cancellationToken).ConfigureAwait(false);
            for (int i = 0; i < list.Length; i++) vectors[i] = RecordMapper.VectorOf(generated[i])!.Value;
        }
        var keyProperty = Model.KeyProperty;
        var items = new KeyedVector[list.Length];
        for (int i = 0; i < list.Length; i++)
        {
            var key = keyProperty.GetValueAsObject(list[i]) ?? throw new ArgumentException($"record {i} has no key in '{keyProperty.ModelName}'", nameof(records));
            if (keyProperty.IsAutoGenerated && key is Guid g && g == Guid.Empty) keyProperty.SetValueAsObject(list[i], key = Guid.NewGuid());
            items[i] = new KeyedVector(RecordKeys.ToEngineKey(key), vectors[i], _mapper.MetadataJson(list[i]));
        }
        // One transaction: every record is checked before any is stored, so bad input leaves the collection as it was.
        await engine.AddVectorsAsync(items, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <see cref="VectorStoreCollectionMetadata"/>; the collection's embedding generator (ask for
    /// <c>IEmbeddingGenerator&lt;DataContent, Embedding&lt;float&gt;&gt;</c>: the index's image model unless the store was
    /// given another); or this collection.
    /// </summary>
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(VectorStoreCollectionMetadata))
            return new VectorStoreCollectionMetadata { VectorStoreSystemName = GpuSearchVectorStore.SystemName, VectorStoreName = _store.Root, CollectionName = Name };
        // The generator the collection embeds with (the index's own image model unless one was configured), for apps
        // that embed first and upsert vectors: a second engine on the same folder would be refused by its lock.
        if (Model.VectorProperty.EmbeddingGenerator is { } generator && serviceType.IsInstanceOfType(generator)) return generator;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Vectors cannot be returned for a property the generator fills (an image holds no vector).</summary>
    private bool CheckIncludeVectors(bool include)
    {
        if (include && Model.EmbeddingGenerationRequired)
            throw new NotSupportedException($"IncludeVectors is not supported: vector property '{Model.VectorProperty.ModelName}' is a {Model.VectorProperty.Type.Name}, made into a vector by the embedding generator");
        return include;
    }

    private async Task<ImageSearchEngine> RequireEngineAsync(CancellationToken cancellationToken)
    {
        var engine = await _store.EngineAsync(Name, create: false, cancellationToken).ConfigureAwait(false)
            ?? throw new VectorStoreException($"collection '{Name}' does not exist under {_store.Root}; call EnsureCollectionExistsAsync first")
            {
                VectorStoreSystemName = GpuSearchVectorStore.SystemName, VectorStoreName = _store.Root, CollectionName = Name,
            };
        CheckDimension(engine);
        return engine;
    }

    private void CheckDimension(ImageSearchEngine engine)
    {
        var vp = Model.VectorProperty;
        if (vp.Dimensions != engine.Dimension)
            throw new InvalidOperationException($"vector property '{vp.ModelName}' declares {vp.Dimensions} dimensions, but collection '{Name}' is embedded by {Path.GetFileName(engine.ModelPath)} with {engine.Dimension}");
    }
}
