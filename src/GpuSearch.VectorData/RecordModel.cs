// How a record class maps onto an index item: the MEVD model builder reads the [VectorStoreKey]/[VectorStoreData]/
// [VectorStoreVector] attributes (or a VectorStoreCollectionDefinition); this file says which .NET types the engine
// can hold, and converts a record to (key, metadata JSON, vector) and back. Data properties live in the item's
// metadata JSON under their storage names, so the engine's metadata filters apply to them.
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace GpuSearch.VectorData;

/// <summary>The model builder for GpuSearch collections: one key (string, long, int or Guid), one float vector, scalar data.</summary>
internal sealed class GpuSearchModelBuilder() : CollectionModelBuilder(new CollectionModelBuildingOptions
{
    RequiresAtLeastOneVector = true,
    SupportsMultipleVectors = false,
})
{
    internal const string SupportedVectorTypes = "ReadOnlyMemory<float>, float[], Embedding<float>";
    private const string SupportedDataTypes = "string, bool, int, long, short, byte, float, double, decimal, Guid, DateTime, DateTimeOffset (nullable or not), string[], List<string>";

    private static readonly Type[] Scalars =
    [
        typeof(string), typeof(bool), typeof(int), typeof(long), typeof(short), typeof(byte), typeof(float), typeof(double),
        typeof(decimal), typeof(Guid), typeof(DateTime), typeof(DateTimeOffset),
    ];

    internal static bool IsNativeVector(Type type) =>
        (Nullable.GetUnderlyingType(type) ?? type) is var t && (t == typeof(ReadOnlyMemory<float>) || t == typeof(float[]) || t == typeof(Embedding<float>));

    protected override bool IsDataPropertyTypeValid(Type type, [NotNullWhen(false)] out string? supportedTypes)
    {
        supportedTypes = SupportedDataTypes;
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return Scalars.Contains(t) || t == typeof(string[]) || t == typeof(List<string>);
    }

    protected override bool IsVectorPropertyTypeValid(Type type, [NotNullWhen(false)] out string? supportedTypes)
    {
        supportedTypes = SupportedVectorTypes;
        return IsNativeVector(type);
    }

    protected override void ValidateKeyProperty(KeyPropertyModel keyProperty)
    {
        base.ValidateKeyProperty(keyProperty);
        if (!RecordKeys.IsSupported(keyProperty.Type))
            throw new NotSupportedException($"key property '{keyProperty.ModelName}' has type {keyProperty.Type.Name}; GpuSearch keys are string, long, int or Guid");
    }

    protected override void Customize()
    {
        // The engine scans by cosine similarity of L2-normalised vectors; another distance would silently mean something else.
        foreach (var v in VectorProperties)
            if (v.DistanceFunction is not (null or DistanceFunction.CosineSimilarity))
                throw new NotSupportedException($"vector property '{v.ModelName}' asks for distance function {v.DistanceFunction}; GpuSearch collections search by {DistanceFunction.CosineSimilarity} only");
    }
}

/// <summary>Record keys as the engine's string keys: strings as they are, numbers in invariant culture, Guids in "D" form.</summary>
internal static class RecordKeys
{
    public static bool IsSupported(Type t) => t == typeof(string) || t == typeof(long) || t == typeof(int) || t == typeof(Guid);

    public static string ToEngineKey(object key) => key switch
    {
        string s => s,
        long l => l.ToString(CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        Guid g => g.ToString("D"),
        _ => throw new NotSupportedException($"key type {key.GetType().Name} is not supported"),
    };

    /// <summary>The record key for an engine key, or null when the key is not of this collection's type (an item another API added).</summary>
    public static object? FromEngineKey(string key, Type type)
    {
        if (type == typeof(string)) return key;
        if (type == typeof(long)) return long.TryParse(key, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l : null;
        if (type == typeof(int)) return int.TryParse(key, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) ? i : null;
        if (type == typeof(Guid)) return Guid.TryParseExact(key, "D", out var g) ? g : null;
        return null;
    }
}

/// <summary>Converts records of one model to and from the engine's (key, metadata JSON, vector).</summary>
internal sealed class RecordMapper(CollectionModel model)
{
    public CollectionModel Model { get; } = model;

    /// <summary>The record's data properties as a JSON object keyed by storage name (null values are left out).</summary>
    public string MetadataJson(object record)
    {
        var json = new JsonObject();
        foreach (var p in Model.DataProperties)
            if (p.GetValueAsObject(record) is { } value) json[p.StorageName] = JsonSerializer.SerializeToNode(value, p.Type);
        return json.ToJsonString();
    }

    /// <summary>A vector property value as floats (null when the property is null).</summary>
    public static ReadOnlyMemory<float>? VectorOf(object? value) => value switch
    {
        null => null,
        ReadOnlyMemory<float> m => m,
        float[] a => a,
        Embedding<float> e => e.Vector,
        _ => throw new NotSupportedException($"vector values of type {value.GetType().Name} are not supported; use {GpuSearchModelBuilder.SupportedVectorTypes}"),
    };

    /// <summary>A new record from a stored item; the vector is set when <paramref name="vector"/> is given.</summary>
    public TRecord ToRecord<TRecord>(object key, string? metadataJson, float[]? vector)
    {
        var record = Model.CreateRecord<TRecord>()!;
        Model.KeyProperty.SetValueAsObject(record, key);
        if (metadataJson is not null)
        {
            using var doc = JsonDocument.Parse(metadataJson);
            foreach (var p in Model.DataProperties)
                if (doc.RootElement.TryGetProperty(p.StorageName, out var v) && v.ValueKind != JsonValueKind.Null)
                {
                    try { p.SetValueAsObject(record, v.Deserialize(p.Type)); }
                    catch (JsonException e)
                    {
                        // The item was written by another API (the CLI, a server) with a field of another type.
                        throw new InvalidDataException($"item '{key}': metadata field '{p.StorageName}' ({v.ValueKind}) does not fit property {p.ModelName} ({p.Type.Name})", e);
                    }
                }
        }
        if (vector is not null)
        {
            var vp = Model.VectorProperty;
            var t = Nullable.GetUnderlyingType(vp.Type) ?? vp.Type;
            vp.SetValueAsObject(record, t == typeof(float[]) ? vector : t == typeof(Embedding<float>) ? new Embedding<float>(vector) : (object)new ReadOnlyMemory<float>(vector));
        }
        return record;
    }
}
