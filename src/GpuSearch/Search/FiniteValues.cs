// The one NaN/±infinity check for vectors. A non-finite value ranks first or never in a scan whatever the query
// (NaN compares as distance 0), so every way in — model outputs, caller vectors, store appends and reads, k-NN
// input files — refuses or drops such rows, and all of them count through here.
namespace GpuSearch.Search;

/// <summary>Counts the NaN and infinite values of a vector or the rows of a matrix holding any.</summary>
internal static class FiniteValues
{
    /// <summary>How many values of <paramref name="row"/> are NaN or ±infinity.</summary>
    public static int CountNonFinite(ReadOnlySpan<float> row)
    {
        int bad = 0;
        foreach (var v in row) if (!float.IsFinite(v)) bad++;
        return bad;
    }

    /// <summary>How many fp16 values of <paramref name="row"/> are NaN or ±infinity.</summary>
    public static int CountNonFinite(ReadOnlySpan<Half> row)
    {
        int bad = 0;
        foreach (var v in row) if (!Half.IsFinite(v)) bad++;
        return bad;
    }

    /// <summary>Indexes, ascending, of the rows of row-major <paramref name="data"/> (<paramref name="cols"/> per row) holding a non-finite value.</summary>
    public static int[] RowsWithNonFinite(ReadOnlySpan<float> data, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cols);
        var rows = new List<int>();
        for (int r = 0; r < data.Length / cols; r++)
            if (CountNonFinite(data.Slice(r * cols, cols)) > 0) rows.Add(r);
        return rows.ToArray();
    }
}
