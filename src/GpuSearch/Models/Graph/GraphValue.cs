// A named value of the graph IR (an edge): element type, shape (possibly with a symbolic batch), and for
// constants the host data. Shape inference also records small integer "shape tensors" symbolically.
namespace GpuSearch.Models.Graph;

/// <summary>A tensor flowing between nodes: graph input, initializer/constant, or node output.</summary>
internal sealed class GraphValue
{
    /// <summary>Unique value name.</summary>
    public string Name { get; }

    /// <summary>Element type; <see cref="TensorDataType.Undefined"/> until known.</summary>
    public TensorDataType DataType { get; set; }

    /// <summary>Shape; null while the rank is unknown. Symbolic dims (e.g. batch "N") are allowed.</summary>
    public TensorShape? Shape { get; set; }

    /// <summary>Host data when this value is a constant (initializer, Constant output, folded result), else null.</summary>
    public ConstTensor? Constant { get; set; }

    /// <summary>
    /// For small 1-D int64 values computed from shapes (Shape → Gather → Concat chains), the element values
    /// as dims, some of which may be symbolic (e.g. <c>[N, -1]</c> is <c>{Symbolic N, Known... }</c>). Lets
    /// Reshape resolve torch's flatten pattern while the batch is still symbolic. Null when not tracked.
    /// </summary>
    public Dim[]? SymbolicData { get; set; }

    /// <summary>Creates a value.</summary>
    public GraphValue(string name, TensorDataType dataType = TensorDataType.Undefined, TensorShape? shape = null)
    {
        Name = name; DataType = dataType; Shape = shape;
    }

    /// <summary>True when <see cref="Constant"/> is set.</summary>
    public bool IsConstant => Constant is not null;

    /// <summary>Makes this value a constant holding <paramref name="t"/> (dtype and shape follow).</summary>
    public void SetConstant(ConstTensor t)
    {
        Constant = t;
        DataType = t.DataType;
        Shape = t.Shape;
        SymbolicData = null;
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Name}: {DataType.ShortName()}{Shape?.ToString() ?? "[?]"}{(IsConstant ? " const" : "")}";
}
