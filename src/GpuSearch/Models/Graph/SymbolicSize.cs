// A symbolic size as a coefficient times a product of named symbols: "N*64" is the batch times 64. Swin
// partitions [N,56,56,C] into [N·64, 49, C] windows and later divides x.size(0) by the 64 windows again, so
// shape inference must multiply and divide symbols exactly, or every shape after the first window partition
// would be unknown and nothing downstream (the attention mask, MAC counts) could be evaluated at load time.
// Anything else symbolic ("?", sums) is not a monomial and stays unknown.
namespace GpuSearch.Models.Graph;

/// <summary>Coefficient × product of symbol names (sorted, repeats allowed).</summary>
internal sealed record SymbolicSize(long Coefficient, IReadOnlyList<string> Names)
{
    /// <summary>The monomial a dim stands for, or null for "?" (unknown) and negative shape-data numbers.</summary>
    public static SymbolicSize? Of(Dim d)
    {
        if (d.IsKnown) return new(d.Value, []);
        if (d.Number is not null || d.Symbol is null) return null;
        long c = 1;
        var names = new List<string>();
        foreach (var part in d.Symbol.Split('*'))
        {
            if (part.Length == 0 || part == "?") return null;
            if (long.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var k)) c = checked(c * k);
            else names.Add(part);
        }
        names.Sort(StringComparer.Ordinal);
        return new(c, names);
    }

    /// <summary>The dim: known when no names remain, else the canonical symbol ("N", "N*64", "H*W*3").</summary>
    public Dim ToDim() =>
        Names.Count == 0 ? Dim.Known(Coefficient)
        : Dim.Symbolic(string.Join("*", Names) + (Coefficient == 1 ? "" : "*" + Coefficient.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>The product; null on overflow.</summary>
    public SymbolicSize? Times(SymbolicSize o)
    {
        try { return new(checked(Coefficient * o.Coefficient), Names.Concat(o.Names).Order(StringComparer.Ordinal).ToArray()); }
        catch (OverflowException) { return null; }
    }

    /// <summary>The exact quotient, or null when <paramref name="o"/> does not divide this (names or coefficient).</summary>
    public SymbolicSize? DividedBy(SymbolicSize o)
    {
        if (o.Coefficient == 0 || Coefficient % o.Coefficient != 0) return null;
        var rest = Names.ToList();
        foreach (var name in o.Names)
            if (!rest.Remove(name)) return null;
        return new(Coefficient / o.Coefficient, rest);
    }

    /// <summary>The product of dims, or null when one is not a monomial.</summary>
    public static SymbolicSize? ProductOf(IEnumerable<Dim> dims)
    {
        var acc = new SymbolicSize(1, []);
        foreach (var d in dims)
        {
            if (Of(d) is not { } m || acc.Times(m) is not { } next) return null;
            acc = next;
        }
        return acc;
    }
}
