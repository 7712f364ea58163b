// Liveness-based placement of a plan's intermediate tensors in one device arena: each value lives from
// the step that writes it to the last step that reads it (graph outputs to the end, graph inputs from
// the start); values whose lifetimes overlap never share bytes. Greedy by size, lowest fitting offset
// (the classic arena planner), which is what keeps peak memory near the largest live set.
namespace GpuSearch.Models.Execution;

/// <summary>One value to place: its size and the step interval [First, Last] during which it is live.</summary>
internal readonly record struct ArenaRequest(string Name, long Bytes, int First, int Last);

/// <summary>Computes arena offsets from lifetimes.</summary>
internal static class ArenaPlanner
{
    /// <summary>Alignment of every slot in bytes (a cache line and more than any vector load).</summary>
    public const long Alignment = 256;

    /// <summary>Byte offset of each value and the arena size.</summary>
    public static (Dictionary<string, long> Offsets, long Size) Place(IReadOnlyList<ArenaRequest> requests)
    {
        var placed = new List<(long Off, long End, int First, int Last)>();
        var offsets = new Dictionary<string, long>(StringComparer.Ordinal);
        long size = 0;
        foreach (var r in requests.OrderByDescending(r => r.Bytes).ThenBy(r => r.First).ThenBy(r => r.Name, StringComparer.Ordinal))
        {
            var bytes = (Math.Max(r.Bytes, 4) + Alignment - 1) / Alignment * Alignment;
            // Slots of values alive at the same time, by offset; take the first gap that fits.
            var busy = placed.Where(p => p.First <= r.Last && r.First <= p.Last).OrderBy(p => p.Off).ToList();
            long at = 0;
            foreach (var p in busy)
            {
                if (p.Off - at >= bytes) break;
                at = Math.Max(at, p.End);
            }
            placed.Add((at, at + bytes, r.First, r.Last));
            offsets[r.Name] = at;
            size = Math.Max(size, at + bytes);
        }
        return (offsets, size);
    }

    /// <summary>Sum of all requests: what allocating every value separately would take.</summary>
    public static long Unshared(IReadOnlyList<ArenaRequest> requests) =>
        requests.Sum(r => (Math.Max(r.Bytes, 4) + Alignment - 1) / Alignment * Alignment);
}
