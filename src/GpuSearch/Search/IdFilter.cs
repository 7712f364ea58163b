// Allow-list over external ids as a bitmap (bit i set = id i may be returned), applied inside the scan.
namespace GpuSearch.Search;

/// <summary>An allow-list bitmap over ids 0 .. <see cref="Bits"/>-1; ids outside it are never returned.</summary>
internal sealed class IdFilter
{
    private readonly uint[] _words;

    /// <summary>Number of ids the bitmap covers.</summary>
    public long Bits { get; }

    /// <summary>The bitmap words (bit i of word w = id 32w + i), as uploaded to the device.</summary>
    public ReadOnlySpan<uint> Words => _words;

    /// <summary>Creates an empty (allow nothing) bitmap over ids [0, bits).</summary>
    public IdFilter(long bits)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bits);
        if (bits > (long)int.MaxValue * 32) throw new ArgumentOutOfRangeException(nameof(bits), bits, "Bitmap too large");
        Bits = bits;
        _words = new uint[(bits + 31) / 32];
    }

    /// <summary>A bitmap allowing exactly <paramref name="ids"/> (sized to the largest).</summary>
    public static IdFilter FromIds(ReadOnlySpan<long> ids)
    {
        long max = -1;
        foreach (var id in ids)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(id, nameof(ids));
            max = Math.Max(max, id);
        }
        var f = new IdFilter(Math.Max(max + 1, 1));
        foreach (var id in ids) f.Allow(id);
        return f;
    }

    /// <summary>Allows one id.</summary>
    public void Allow(long id)
    {
        if (id < 0 || id >= Bits) throw new ArgumentOutOfRangeException(nameof(id), id, $"Id outside the bitmap [0, {Bits})");
        _words[id >> 5] |= 1u << (int)(id & 31);
    }

    /// <summary>True when <paramref name="id"/> is allowed.</summary>
    public bool IsAllowed(long id) => id >= 0 && id < Bits && (_words[id >> 5] >> (int)(id & 31) & 1) != 0;
}
