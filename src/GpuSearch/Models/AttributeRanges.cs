// Range checks for attribute values the ONNX spec constrains (flags that are 0 or 1, sizes that are
// positive, epsilons that are non-negative). A value outside the spec means a broken or hostile file; it is
// refused by the validator naming the attribute, before shape inference could turn it into a huge or
// negative size. Each returns null when fine, else the reason.
using GpuSearch.Models.Graph;

namespace GpuSearch.Models;

internal static class AttributeRanges
{
    /// <summary>The first non-null reason, or null.</summary>
    public static string? First(params string?[] reasons) => reasons.FirstOrDefault(r => r is not null);

    /// <summary>An int attribute that the spec defines as 0 or 1.</summary>
    public static string? Flag(GraphNode n, string name)
    {
        long v = n.GetInt(name, 0);
        return v is 0 or 1 ? null : $"attribute {name}={v} is outside the spec (0 or 1)";
    }

    /// <summary>An int attribute that must be ≥ <paramref name="min"/> when present.</summary>
    public static string? AtLeast(GraphNode n, string name, long min)
    {
        long v = n.GetInt(name, min);
        return v >= min ? null : $"attribute {name}={v} is outside the spec (≥ {min})";
    }

    /// <summary>Every entry of an ints attribute must be ≥ <paramref name="min"/> (when present).</summary>
    public static string? AllAtLeast(GraphNode n, string name, long min) =>
        n.GetInts(name) is { } v && v.Any(x => x < min) ? $"attribute {name}=[{string.Join(",", v)}] is outside the spec (each ≥ {min})" : null;

    /// <summary>A float attribute that must be finite and ≥ 0 (epsilons).</summary>
    public static string? FiniteNonNegative(GraphNode n, string name, float dflt)
    {
        float v = n.GetFloat(name, dflt);
        return float.IsFinite(v) && v >= 0 ? null : $"attribute {name}={v} is outside the spec (finite, ≥ 0)";
    }

    /// <summary>Kernel, strides, dilations and pads of a convolution or pooling window.</summary>
    public static string? Window(GraphNode n) => First(
        AllAtLeast(n, "kernel_shape", 1), AllAtLeast(n, "strides", 1), AllAtLeast(n, "dilations", 1), AllAtLeast(n, "pads", 0));
}
