// Metadata filters: conditions on top-level scalar fields of an item's metadata (labels) JSON, all of which must
// hold. The catalog evaluates them (json_extract) to an id allow-list that the exact scan applies on the device,
// so a filtered search returns the true top-k among the matching items, not a post-filtered cut.
using System.Globalization;
using System.Text.Json;

namespace GpuSearch;

/// <summary>A condition on one top-level metadata field.</summary>
/// <param name="Field">Field name: 1–64 of A–Z, a–z, 0–9, '_' and '-'.</param>
public abstract record FilterCondition(string Field)
{
    /// <summary>Most conditions in one filter, and most values in one <see cref="InCondition"/>.</summary>
    public const int MaxConditions = 32, MaxInValues = 1024;

    internal static string JsonPath(string field) => "$.\"" + CheckField(field) + "\"";

    internal static string CheckField(string field)
    {
        if (string.IsNullOrEmpty(field) || field.Length > 64 || !field.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            throw new ArgumentException($"filter field '{field}' must be 1–64 characters of letters, digits, '_' and '-'", nameof(field));
        return field;
    }

    /// <summary>A filter value as stored: string, bool or (finite) double; other numbers become double.</summary>
    internal static object Scalar(object? value, string field) => value switch
    {
        string or bool => value,
        double d when double.IsFinite(d) => d,
        float f when float.IsFinite(f) => (double)f,
        int or long or short or byte or uint or ulong or decimal => Convert.ToDouble(value, CultureInfo.InvariantCulture),
        _ => throw new ArgumentException($"filter value for '{field}' must be a string, a bool or a finite number, got {value ?? "null"}"),
    };
}

/// <summary>The field equals <see cref="Value"/> with the same JSON type (a string never equals a number).</summary>
public sealed record EqualsCondition : FilterCondition
{
    /// <summary>A string, bool or number.</summary>
    public object Value { get; }

    /// <summary>Field <paramref name="field"/> equals <paramref name="value"/> (string, bool or number).</summary>
    public EqualsCondition(string field, object value) : base(CheckField(field)) => Value = Scalar(value, field);
}

/// <summary>The field equals one of <see cref="Values"/>.</summary>
public sealed record InCondition : FilterCondition
{
    /// <summary>Strings, bools or numbers.</summary>
    public IReadOnlyList<object> Values { get; }

    /// <summary>Field <paramref name="field"/> equals one of <paramref name="values"/> (1..<see cref="FilterCondition.MaxInValues"/>).</summary>
    public InCondition(string field, IEnumerable<object> values) : base(CheckField(field))
    {
        Values = values.Select(v => Scalar(v, field)).ToArray();
        if (Values.Count is 0 or > MaxInValues) throw new ArgumentException($"'in' for '{field}' needs 1 to {MaxInValues} values, got {Values.Count}");
    }
}

/// <summary>The field is a number within [<see cref="Min"/>, <see cref="Max"/>] (either bound may be open).</summary>
public sealed record RangeCondition : FilterCondition
{
    /// <summary>Smallest allowed value, or null.</summary>
    public double? Min { get; }
    /// <summary>Largest allowed value, or null.</summary>
    public double? Max { get; }

    /// <summary>Field <paramref name="field"/> is a number with <paramref name="min"/> ≤ value ≤ <paramref name="max"/>.</summary>
    public RangeCondition(string field, double? min, double? max) : base(CheckField(field))
    {
        if (min is null && max is null) throw new ArgumentException($"range for '{field}' needs a lower or an upper bound");
        if (min is { } a && !double.IsFinite(a) || max is { } b && !double.IsFinite(b)) throw new ArgumentException($"range bounds for '{field}' must be finite");
        Min = min; Max = max;
    }
}

/// <summary>Conditions on an item's metadata, combined with AND; pass it in <see cref="QueryOptions.Filter"/>.</summary>
public sealed record SearchFilter
{
    /// <summary>The conditions, all of which must hold.</summary>
    public IReadOnlyList<FilterCondition> Conditions { get; }

    /// <summary>A filter of 1..<see cref="FilterCondition.MaxConditions"/> conditions.</summary>
    public SearchFilter(params IEnumerable<FilterCondition> conditions)
    {
        Conditions = conditions.ToArray();
        if (Conditions.Count is 0 or > FilterCondition.MaxConditions)
            throw new ArgumentException($"a filter needs 1 to {FilterCondition.MaxConditions} conditions, got {Conditions.Count}", nameof(conditions));
    }

    /// <summary>
    /// Reads the JSON form: an object whose properties are fields; a scalar means equals, <c>{"in": [...]}</c> one
    /// of, <c>{"gte": a, "lte": b}</c> a numeric range. Example: <c>{"color": "red", "size": {"in": [1, 2]}, "price": {"lte": 10}}</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The JSON is not of that form; the message names the field at fault.</exception>
    public static SearchFilter Parse(JsonElement json)
    {
        if (json.ValueKind != JsonValueKind.Object) throw new ArgumentException($"a filter must be a JSON object, got {json.ValueKind}");
        var conditions = new List<FilterCondition>();
        foreach (var p in json.EnumerateObject())
        {
            if (conditions.Count == FilterCondition.MaxConditions) throw new ArgumentException($"a filter has at most {FilterCondition.MaxConditions} conditions");
            conditions.Add(p.Value.ValueKind != JsonValueKind.Object ? new EqualsCondition(p.Name, ScalarOf(p.Value, p.Name)) : ParseOperator(p.Name, p.Value));
        }
        return new SearchFilter(conditions);
    }

    /// <summary>Parses the JSON form from text (see <see cref="Parse(JsonElement)"/>).</summary>
    public static SearchFilter Parse(string json)
    {
        try
        {
            using var d = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 4 });
            return Parse(d.RootElement);
        }
        catch (JsonException e) { throw new ArgumentException($"the filter is not valid JSON: {e.Message}", e); }
    }

    private static FilterCondition ParseOperator(string field, JsonElement op)
    {
        var names = op.EnumerateObject().Select(p => p.Name).ToArray();
        if (names is ["in"])
        {
            var values = op.GetProperty("in");
            if (values.ValueKind != JsonValueKind.Array) throw new ArgumentException($"'in' for '{field}' must be an array");
            if (values.GetArrayLength() > FilterCondition.MaxInValues) throw new ArgumentException($"'in' for '{field}' has more than {FilterCondition.MaxInValues} values");
            return new InCondition(field, values.EnumerateArray().Select(v => ScalarOf(v, field)).ToArray());
        }
        if (names.Length > 0 && names.All(n => n is "gte" or "lte") && names.Distinct().Count() == names.Length)
            return new RangeCondition(field, Bound(op, "gte", field), Bound(op, "lte", field));
        throw new ArgumentException($"filter for '{field}' must be a scalar, {{\"in\": [...]}} or {{\"gte\": .., \"lte\": ..}}, got keys [{string.Join(", ", names)}]");
    }

    private static double? Bound(JsonElement op, string name, string field) =>
        !op.TryGetProperty(name, out var v) ? null
        : v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) ? d
        : throw new ArgumentException($"'{name}' for '{field}' must be a number");

    private static object ScalarOf(JsonElement v, string field) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString()!,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number when v.TryGetDouble(out var d) => d,
        _ => throw new ArgumentException($"filter value for '{field}' must be a string, a bool or a number, got {v.ValueKind}"),
    };
}
