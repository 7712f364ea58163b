// The per-process memo of a device's tuned values (conv tiles, scan tunables), shared by TunedConvTiles and
// TunedScanTiles. A store (TuningCache.Write*) bumps a generation instead of removing one key: a lookup that read the
// cache just before a store and memoised the old value after it would otherwise keep that stale value for the rest of
// the process (a lazy tuning run storing its winner while another session is being planned).
using System.Collections.Concurrent;
using GpuSearch.Compute;

namespace GpuSearch.Models.Tuning;

/// <summary>Memoised per-device values, invalidated by <see cref="Forget"/>.</summary>
internal sealed class TunedMemo<T>
{
    private readonly ConcurrentDictionary<string, (int Generation, T Value)> _values = new(StringComparer.Ordinal);
    private int _generation;

    /// <summary>The memoised value for the device, or <paramref name="resolve"/>'s (memoised) when there is none or a
    /// store came after it was read.</summary>
    public T Get(DeviceInfo device, Func<T> resolve)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(resolve);
        var key = TuningCache.MemoKey(device);
        int generation = Volatile.Read(ref _generation); // read before the cache, so a store after the read invalidates it
        if (_values.TryGetValue(key, out var m) && m.Generation == generation) return m.Value;
        var value = resolve();
        _values[key] = (generation, value);
        return value;
    }

    /// <summary>Makes every memoised value stale (a tuning run stored a new winner).</summary>
    public void Forget() => Interlocked.Increment(ref _generation);
}
