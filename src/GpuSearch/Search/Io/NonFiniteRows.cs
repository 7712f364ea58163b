// NaN or infinite rows in a k-NN input rank first (NaN compares as distance 0) or never, and a NaN query
// returns null scores: they are refused with the file and row named, or dropped when the user asks.
namespace GpuSearch.Search.Io;

/// <summary>Finds and removes rows of a matrix that hold NaN or ±infinity.</summary>
internal static class NonFiniteRows
{
    /// <summary>Indexes of the rows holding at least one non-finite value, ascending.</summary>
    public static int[] Find(NpyMatrix m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return m.Cols == 0 ? [] : FiniteValues.RowsWithNonFinite(m.Data.AsSpan(0, m.Rows * m.Cols), m.Cols);
    }

    /// <summary>Throws <see cref="InvalidDataException"/> naming <paramref name="path"/> and the first bad rows.</summary>
    public static void Refuse(string path, int[] rows, string hint)
    {
        if (rows.Length == 0) return;
        var shown = string.Join(", ", rows.Take(5)) + (rows.Length > 5 ? ", ..." : "");
        throw new InvalidDataException($"{path}: row {rows[0]} holds NaN or infinity ({rows.Length} row(s) do: {shown}); {hint}");
    }

    /// <summary>The matrix without <paramref name="drop"/> (ascending), and the original row number of each kept row.</summary>
    public static (NpyMatrix Kept, long[] OriginalRows) Without(NpyMatrix m, int[] drop)
    {
        ArgumentNullException.ThrowIfNull(m);
        var skip = new HashSet<int>(drop);
        var original = Enumerable.Range(0, m.Rows).Where(r => !skip.Contains(r)).Select(r => (long)r).ToArray();
        var data = new float[original.Length * m.Cols];
        for (int i = 0; i < original.Length; i++)
            m.Data.AsSpan((int)original[i] * m.Cols, m.Cols).CopyTo(data.AsSpan(i * m.Cols));
        return (m with { Rows = original.Length, Data = data }, original);
    }
}
