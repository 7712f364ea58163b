// A float tensor in host memory: the inputs and outputs of InferenceSession.Run.
namespace GpuSearch.Models.Execution;

/// <summary>Row-major fp32 data with its shape.</summary>
internal sealed class HostTensor
{
    /// <summary>Elements, row-major.</summary>
    public float[] Data { get; }
    /// <summary>Dimensions.</summary>
    public int[] Shape { get; }

    /// <summary>Wraps <paramref name="data"/> (not copied); its length must match the shape.</summary>
    public HostTensor(float[] data, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentOutOfRangeException(nameof(shape), d, "Negative dimension");
            n *= d;
        }
        if (n != data.LongLength) throw new ArgumentException($"Data has {data.LongLength} elements but shape [{string.Join(",", shape)}] needs {n}", nameof(data));
        Data = data;
        Shape = shape;
    }

    /// <summary>Number of elements.</summary>
    public long Count => Data.LongLength;

    /// <inheritdoc />
    public override string ToString() => $"float[{string.Join(",", Shape)}]";
}
