// Shapes whose dimensions are either known sizes or named symbols (the dynamic batch "N"). Shape
// inference carries symbols through so a model exported with a dynamic batch stays dynamic.
namespace GpuSearch.Models.Graph;

/// <summary>One dimension: a known size (<see cref="Value"/> ≥ 0) or a symbol such as the batch "N".</summary>
internal readonly record struct Dim
{
    /// <summary>The size, or -1 when the dimension is symbolic.</summary>
    public long Value { get; }

    /// <summary>The symbol's name when <see cref="Value"/> is -1 (never null then), else null.</summary>
    public string? Symbol { get; }

    private Dim(long value, string? symbol) { Value = value; Symbol = symbol; }

    /// <summary>A known dimension.</summary>
    public static Dim Known(long value) =>
        value >= 0 ? new Dim(value, null) : throw new ArgumentOutOfRangeException(nameof(value), value, "dimension must be ≥ 0");

    /// <summary>A symbolic dimension; an empty name becomes "?".</summary>
    public static Dim Symbolic(string name) => new(-1, string.IsNullOrEmpty(name) ? "?" : name);

    /// <summary>True when the size is known.</summary>
    public bool IsKnown => Value >= 0;

    /// <summary>
    /// The integer this entry of shape data stands for: the size, or a negative constant (Reshape's -1),
    /// which shape data records as a symbol named by the number; null for a real symbol such as "N".
    /// </summary>
    public long? Number => IsKnown ? Value : long.TryParse(Symbol, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var v) && v < 0 ? v : null;

    /// <summary>Shape data entry for an integer: a known size, or a negative constant as a symbol named by the number.</summary>
    public static Dim OfNumber(long v) => v >= 0 ? Known(v) : Symbolic(v.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <inheritdoc/>
    public override string ToString() => IsKnown ? Value.ToString() : Symbol!;

    /// <summary>Implicit conversion from a known size.</summary>
    public static implicit operator Dim(long v) => Known(v);
}

/// <summary>An immutable tensor shape (rank and dimensions). A null shape elsewhere means "rank unknown".</summary>
internal sealed class TensorShape : IEquatable<TensorShape>
{
    private readonly Dim[] _dims;

    /// <summary>Creates a shape from its dimensions (copied).</summary>
    public TensorShape(IEnumerable<Dim> dims) { _dims = dims.ToArray(); }

    /// <summary>Creates a fully known shape.</summary>
    public static TensorShape Of(params long[] dims) => new(dims.Select(Dim.Known));

    /// <summary>The dimensions, outermost first.</summary>
    public IReadOnlyList<Dim> Dims => _dims;

    /// <summary>Number of dimensions.</summary>
    public int Rank => _dims.Length;

    /// <summary>Dimension <paramref name="i"/>; negative indices count from the end.</summary>
    public Dim this[int i] => _dims[i < 0 ? i + _dims.Length : i];

    /// <summary>True when every dimension is known.</summary>
    public bool IsFullyKnown => _dims.All(d => d.IsKnown);

    /// <summary>Product of the known dimensions (symbols count as 1).</summary>
    public long KnownProduct() { long p = 1; foreach (var d in _dims) if (d.IsKnown) p *= d.Value; return p; }

    /// <summary>Element count when fully known, else null.</summary>
    public long? ElementCount => IsFullyKnown ? KnownProduct() : null;

    /// <summary>The known sizes; throws when a dimension is symbolic.</summary>
    public long[] ToLongs() => _dims.Select(d => d.IsKnown ? d.Value : throw new InvalidOperationException($"shape {this} is not fully known")).ToArray();

    /// <summary>This shape with every symbol replaced by <paramref name="value"/> (binding the batch).</summary>
    public TensorShape Bind(long value) => new(_dims.Select(d => d.IsKnown ? d : Dim.Known(value)));

    /// <inheritdoc/>
    public bool Equals(TensorShape? other) => other is not null && _dims.AsSpan().SequenceEqual(other._dims);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as TensorShape);

    /// <inheritdoc/>
    public override int GetHashCode() { var h = new HashCode(); foreach (var d in _dims) h.Add(d); return h.ToHashCode(); }

    /// <inheritdoc/>
    public override string ToString() => "[" + string.Join(",", _dims) + "]";
}
