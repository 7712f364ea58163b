// Typed node attributes of the graph IR: one class with a kind tag rather than a hierarchy, so rules can
// read `node.GetInt("group", 1)` without casts.
namespace GpuSearch.Models.Graph;

/// <summary>Kind of a <see cref="GraphAttribute"/>.</summary>
internal enum AttributeKind
{
    /// <summary>Single float.</summary>
    Float,
    /// <summary>Single int64.</summary>
    Int,
    /// <summary>Single string.</summary>
    String,
    /// <summary>Constant tensor.</summary>
    Tensor,
    /// <summary>List of floats.</summary>
    Floats,
    /// <summary>List of int64.</summary>
    Ints,
    /// <summary>List of strings.</summary>
    Strings,
    /// <summary>Present in the model but of a kind the engine does not read (graph, sparse tensor...).</summary>
    Unsupported,
}

/// <summary>An attribute value. Only the member matching <see cref="Kind"/> is meaningful.</summary>
internal sealed class GraphAttribute
{
    /// <summary>The value's kind.</summary>
    public AttributeKind Kind { get; init; }
    /// <summary>Value when Kind is Float.</summary>
    public float F { get; init; }
    /// <summary>Value when Kind is Int.</summary>
    public long I { get; init; }
    /// <summary>Value when Kind is String.</summary>
    public string S { get; init; } = "";
    /// <summary>Value when Kind is Tensor.</summary>
    public ConstTensor? T { get; init; }
    /// <summary>Value when Kind is Floats.</summary>
    public float[] Floats { get; init; } = [];
    /// <summary>Value when Kind is Ints.</summary>
    public long[] Ints { get; init; } = [];
    /// <summary>Value when Kind is Strings.</summary>
    public string[] Strings { get; init; } = [];

    /// <summary>A float attribute.</summary>
    public static GraphAttribute Of(float f) => new() { Kind = AttributeKind.Float, F = f };
    /// <summary>An int attribute.</summary>
    public static GraphAttribute Of(long i) => new() { Kind = AttributeKind.Int, I = i };
    /// <summary>A string attribute.</summary>
    public static GraphAttribute Of(string s) => new() { Kind = AttributeKind.String, S = s };
    /// <summary>An ints attribute.</summary>
    public static GraphAttribute Of(long[] ints) => new() { Kind = AttributeKind.Ints, Ints = ints };
    /// <summary>A floats attribute.</summary>
    public static GraphAttribute Of(float[] floats) => new() { Kind = AttributeKind.Floats, Floats = floats };
    /// <summary>A tensor attribute.</summary>
    public static GraphAttribute Of(ConstTensor t) => new() { Kind = AttributeKind.Tensor, T = t };

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        AttributeKind.Float => F.ToString("R"),
        AttributeKind.Int => I.ToString(),
        AttributeKind.String => $"\"{S}\"",
        AttributeKind.Tensor => T!.ToString(),
        AttributeKind.Floats => "[" + string.Join(",", Floats) + "]",
        AttributeKind.Ints => "[" + string.Join(",", Ints) + "]",
        AttributeKind.Strings => "[" + string.Join(",", Strings) + "]",
        _ => "<unsupported>",
    };
}
