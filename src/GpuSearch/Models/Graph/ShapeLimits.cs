// The size limits every tensor shape must respect, checked in one place with checked arithmetic: shape
// inference validates each output it infers (and the graph's inputs), so an absurd attribute (pads of 2^40,
// a Resize scale of 1e9) is refused at load naming the node, instead of overflowing somewhere downstream.
namespace GpuSearch.Models.Graph;

/// <summary>Largest tensors the engine plans for.</summary>
internal static class ShapeLimits
{
    /// <summary>Most elements of any one tensor, batch included when bound: kernels index elements with 32-bit ints.</summary>
    public const long MaxTensorElements = int.MaxValue;

    /// <summary>Most elements of a model input per image (1 GiB of fp32, e.g. 3 × 9459 × 9459): a larger input
    /// could not be preprocessed or held for any useful batch, so such a model is refused when opened.</summary>
    public const long MaxInputElementsPerImage = 1L << 28;

    /// <summary>Element count with symbolic dims (the batch) counted as 1, or null when it overflows a long.</summary>
    public static long? ElementsPerImage(TensorShape shape)
    {
        long product = 1;
        foreach (var d in shape.Dims)
        {
            if (!d.IsKnown) continue;
            try { product = checked(product * d.Value); }
            catch (OverflowException) { return null; }
        }
        return product;
    }

    /// <summary>Throws <see cref="InvalidDataException"/> naming <paramref name="what"/> when a shape holds more
    /// than <paramref name="limit"/> elements (symbolic dims counted as 1).</summary>
    public static void Require(TensorShape shape, string what, long limit = MaxTensorElements)
    {
        var count = ElementsPerImage(shape);
        if (count is null || count > limit)
            throw new InvalidDataException($"{what}: shape {shape} holds {(count is null ? "more than 2^63" : count.Value.ToString())} elements, over the limit of {limit}");
    }

    /// <summary>A spatial size computed from a real-valued scale, refused unless finite and within a long.</summary>
    public static long FloorToSize(double value, string what)
    {
        if (!double.IsFinite(value) || value >= long.MaxValue || value < 0)
            throw new InvalidDataException($"{what}: computed size {value} is not a valid dimension");
        return (long)Math.Floor(value);
    }
}
