// Vector search over a collection: the query is a float vector, or a value the embedding generator turns into one
// (an image as DataContent); the record filter becomes the engine's allow-list, so the hits are the exact top-k among
// the records the filter allows.
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;

namespace GpuSearch.VectorData;

public sealed partial class GpuSearchCollection<TKey, TRecord>
{
    /// <summary>
    /// The <paramref name="top"/> records nearest to <paramref name="searchValue"/> by cosine similarity (the score; 1 =
    /// same direction), after <see cref="VectorSearchOptions{TRecord}.Skip"/>, among those the
    /// <see cref="VectorSearchOptions{TRecord}.Filter"/> allows and scoring at least the
    /// <see cref="VectorSearchOptions{TRecord}.ScoreThreshold"/>.
    /// </summary>
    /// <param name="searchValue">ReadOnlyMemory&lt;float&gt;, float[], Embedding&lt;float&gt;, or a value the embedding generator takes (DataContent with an image).</param>
    /// <param name="top">Most results (at least 1).</param>
    /// <param name="options">Filter, Skip, IncludeVectors, ScoreThreshold.</param>
    /// <param name="cancellationToken">Checked before the scan.</param>
    /// <exception cref="NotSupportedException">A filter construct the engine cannot evaluate (named in the message), or a search value no generator takes.</exception>
    public override async IAsyncEnumerable<VectorSearchResult<TRecord>> SearchAsync<TInput>(TInput searchValue, int top, VectorSearchOptions<TRecord>? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(searchValue);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(top);
        options ??= new VectorSearchOptions<TRecord>();
        ArgumentOutOfRangeException.ThrowIfNegative(options.Skip, nameof(options));
        if ((long)top + options.Skip > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(top), "top + Skip exceeds int.MaxValue");
        float minScore = options.ScoreThreshold is { } t
            ? double.IsFinite(t) ? (float)t : throw new ArgumentOutOfRangeException(nameof(options), "ScoreThreshold must be finite")
            : -1f;
        bool vectors = CheckIncludeVectors(options.IncludeVectors);
        var vp = Model.GetVectorPropertyOrSingle(options);
        var translated = FilterTranslator.Translate(options.Filter, Model);
        ReadOnlyMemory<float> query = searchValue switch
        {
            ReadOnlyMemory<float> m => m,
            float[] a => a,
            Embedding<float> e => e.Vector,
            _ when vp.EmbeddingGenerator is IEmbeddingGenerator<TInput, Embedding<float>> g =>
                await g.GenerateVectorAsync(searchValue, cancellationToken: cancellationToken).ConfigureAwait(false),
            _ => throw new NotSupportedException($"cannot search by a {typeof(TInput).Name}: give {GpuSearchModelBuilder.SupportedVectorTypes}, or configure an embedding generator that takes it"),
        };
        if (translated.MatchesNothing) yield break;
        var engine = await RequireEngineAsync(cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        var hits = engine.SearchVector(query.Span, new QueryOptions(top + options.Skip, minScore, Filter: translated.Filter));
        foreach (var hit in hits.Skip(options.Skip))
        {
            // Items another API added without a key of this type are not records of this collection.
            if (engine.GetItem(hit.Id) is not { Key: { } engineKey } item || RecordKeys.FromEngineKey(engineKey, typeof(TKey)) is not { } key) continue;
            yield return new VectorSearchResult<TRecord>(_mapper.ToRecord<TRecord>(key, item.LabelsJson, vectors ? engine.GetVector(item.Id) : null), hit.Score);
        }
    }
}
