// JSON form of a PreprocessSpec, the stable schema "gpusearch.preprocess/1" that travels beside a model:
// {"schema":"gpusearch.preprocess/1","padToSquare":false,"resize":{"mode":"shorterSide","size":256,
//  "interpolation":"bilinear","antialias":true,"arithmetic":"uint8"},"centerCrop":{"width":224,"height":224},
//  "fill":[0,0,0],"channelOrder":"rgb","scale":0.00392156862745098,"mean":[...],"std":[...],
//  "layout":"nchw","dtype":"fp32"}
// Optional "trim":{"background":[255,255,255],"threshold":16,"minSize":16} crops uniform margins first.
// Written field by field (stable order, only the fields a mode uses); read strictly: unknown fields,
// unknown enum names and wrong types are errors that name the field.
using System.Text;
using System.Text.Json;

namespace GpuSearch.Imaging;

/// <summary>Reads and writes <see cref="PreprocessSpec"/> as JSON.</summary>
internal static class PreprocessSpecJson
{
    /// <summary>Serializes a (validated) spec to indented JSON.</summary>
    /// <exception cref="ArgumentException">The spec is invalid; the message names the field.</exception>
    public static string Write(PreprocessSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("schema", PreprocessSpec.SchemaId);
            // Written only when set, so specs without it (and the index fingerprints made from them) keep their JSON.
            if (spec.Trim is { } t)
            {
                w.WriteStartObject("trim");
                WriteTriple(w, "background", t.Background);
                w.WriteNumber("threshold", t.Threshold);
                w.WriteNumber("minSize", t.MinSize);
                w.WriteEndObject();
            }
            w.WriteBoolean("padToSquare", spec.PadToSquare);
            if (spec.Resize is { } r)
            {
                w.WriteStartObject("resize");
                w.WriteString("mode", Name(r.Mode));
                switch (r.Mode)
                {
                    case ResizeMode.ShorterSide or ResizeMode.LongerSidePad:
                        w.WriteNumber("size", r.Size);
                        if (r.MaxSize != 0) w.WriteNumber("maxSize", r.MaxSize);
                        break;
                    case ResizeMode.Exact:
                        w.WriteNumber("width", r.Width);
                        w.WriteNumber("height", r.Height);
                        break;
                }
                w.WriteString("interpolation", Name(r.Interpolation));
                w.WriteBoolean("antialias", r.Antialias);
                w.WriteString("arithmetic", Name(r.Arithmetic));
                w.WriteEndObject();
            }
            if (spec.CenterCrop is { } c)
            {
                w.WriteStartObject("centerCrop");
                w.WriteNumber("width", c.Width);
                w.WriteNumber("height", c.Height);
                w.WriteEndObject();
            }
            WriteTriple(w, "fill", spec.Fill);
            w.WriteString("channelOrder", Name(spec.ChannelOrder));
            w.WriteNumber("scale", spec.Scale);
            WriteTriple(w, "mean", spec.Mean);
            WriteTriple(w, "std", spec.Std);
            w.WriteString("layout", Name(spec.Layout));
            w.WriteString("dtype", Name(spec.DType));
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>Parses and validates a spec.</summary>
    /// <exception cref="FormatException">Malformed JSON, wrong schema, unknown or mistyped field, or an invalid value; the message names the field.</exception>
    public static PreprocessSpec Read(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new FormatException($"Invalid preprocess spec JSON: {e.Message}", e); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Bad("$", "must be a JSON object");
            var spec = new PreprocessSpec();
            bool sawSchema = false;
            foreach (var p in root.EnumerateObject())
            {
                spec = p.Name switch
                {
                    "schema" => CheckSchema(p.Value, ref sawSchema, spec),
                    "trim" => spec with { Trim = p.Value.ValueKind == JsonValueKind.Null ? null : ReadTrim(p.Value) },
                    "padToSquare" => spec with { PadToSquare = Bool(p.Value, "padToSquare") },
                    "resize" => spec with { Resize = p.Value.ValueKind == JsonValueKind.Null ? null : ReadResize(p.Value) },
                    "centerCrop" => spec with { CenterCrop = p.Value.ValueKind == JsonValueKind.Null ? null : ReadCrop(p.Value) },
                    "fill" => spec with { Fill = Triple(p.Value, "fill") },
                    "channelOrder" => spec with { ChannelOrder = EnumValue<ChannelOrder>(p.Value, "channelOrder") },
                    "scale" => spec with { Scale = Number(p.Value, "scale") },
                    "mean" => spec with { Mean = Triple(p.Value, "mean") },
                    "std" => spec with { Std = Triple(p.Value, "std") },
                    "layout" => spec with { Layout = EnumValue<TensorLayout>(p.Value, "layout") },
                    "dtype" => spec with { DType = EnumValue<TensorDType>(p.Value, "dtype") },
                    _ => throw Bad(p.Name, "is not a field of " + PreprocessSpec.SchemaId),
                };
            }
            if (!sawSchema) throw Bad("schema", $"is missing (expected \"{PreprocessSpec.SchemaId}\")");
            try { spec.Validate(); }
            catch (ArgumentException e) { throw new FormatException(e.Message, e); }
            return spec;
        }
    }

    private static PreprocessSpec CheckSchema(JsonElement v, ref bool saw, PreprocessSpec spec)
    {
        var s = v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        if (s != PreprocessSpec.SchemaId)
            throw Bad("schema", $"must be \"{PreprocessSpec.SchemaId}\", got {v.GetRawText()}");
        saw = true;
        return spec;
    }

    private static ResizeSpec ReadResize(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object) throw Bad("resize", "must be an object or null");
        var r = new ResizeSpec();
        foreach (var p in e.EnumerateObject())
        {
            var f = "resize." + p.Name;
            r = p.Name switch
            {
                "mode" => r with { Mode = EnumValue<ResizeMode>(p.Value, f) },
                "size" => r with { Size = Int(p.Value, f) },
                "width" => r with { Width = Int(p.Value, f) },
                "height" => r with { Height = Int(p.Value, f) },
                "maxSize" => r with { MaxSize = Int(p.Value, f) },
                "interpolation" => r with { Interpolation = EnumValue<Interpolation>(p.Value, f) },
                "antialias" => r with { Antialias = Bool(p.Value, f) },
                "arithmetic" => r with { Arithmetic = EnumValue<ResampleArithmetic>(p.Value, f) },
                _ => throw Bad(f, "is not a field of resize"),
            };
        }
        return r;
    }

    private static TrimSpec ReadTrim(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object) throw Bad("trim", "must be an object or null");
        var t = new TrimSpec();
        foreach (var p in e.EnumerateObject())
        {
            var f = "trim." + p.Name;
            t = p.Name switch
            {
                "background" => t with { Background = Triple(p.Value, f) },
                "threshold" => t with { Threshold = Int(p.Value, f) },
                "minSize" => t with { MinSize = Int(p.Value, f) },
                _ => throw Bad(f, "is not a field of trim"),
            };
        }
        return t;
    }

    private static CropSize ReadCrop(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object) throw Bad("centerCrop", "must be an object or null");
        int w = 0, h = 0;
        foreach (var p in e.EnumerateObject())
        {
            if (p.Name == "width") w = Int(p.Value, "centerCrop.width");
            else if (p.Name == "height") h = Int(p.Value, "centerCrop.height");
            else throw Bad("centerCrop." + p.Name, "is not a field of centerCrop");
        }
        return new CropSize(w, h);
    }

    private static T EnumValue<T>(JsonElement v, string field) where T : struct, Enum
    {
        var names = string.Join(", ", Enum.GetValues<T>().Select(x => Name(x)));
        if (v.ValueKind != JsonValueKind.String) throw Bad(field, $"must be a string, one of {names}");
        var s = v.GetString()!;
        foreach (var x in Enum.GetValues<T>())
            if (string.Equals(Name(x), s, StringComparison.OrdinalIgnoreCase)) return x;
        throw Bad(field, $"\"{s}\" is not one of {names}");
    }

    private static bool Bool(JsonElement v, string field) => v.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw Bad(field, $"must be true or false, got {v.GetRawText()}"),
    };

    private static int Int(JsonElement v, string field) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i
            : throw Bad(field, $"must be an integer, got {v.GetRawText()}");

    private static double Number(JsonElement v, string field) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) ? d
            : throw Bad(field, $"must be a number, got {v.GetRawText()}");

    private static ChannelValues Triple(JsonElement v, string field)
    {
        if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() != 3)
            throw Bad(field, $"must be an array of 3 numbers, got {v.GetRawText()}");
        return new ChannelValues(Number(v[0], field + "[0]"), Number(v[1], field + "[1]"), Number(v[2], field + "[2]"));
    }

    private static void WriteTriple(Utf8JsonWriter w, string name, ChannelValues v)
    {
        w.WriteStartArray(name);
        w.WriteNumberValue(v.C0);
        w.WriteNumberValue(v.C1);
        w.WriteNumberValue(v.C2);
        w.WriteEndArray();
    }

    /// <summary>The schema name of an enum member: camelCase of its C# name.</summary>
    private static string Name<T>(T value) where T : struct, Enum
    {
        var s = value.ToString();
        return char.ToLowerInvariant(s[0]) + s[1..];
    }

    private static FormatException Bad(string field, string problem) =>
        new($"Invalid preprocess spec JSON: {field} {problem}");
}
