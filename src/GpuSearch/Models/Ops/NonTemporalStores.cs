// When a CPU kernel should write its output around the caches (kernels' NT_STORE define).
using GpuSearch.Compute;

namespace GpuSearch.Models.Ops;

/// <summary>
/// Non-temporal stores for outputs much larger than a CPU's last-level cache. A kernel that overwrites whole cache lines
/// of such a tensor otherwise reads every line first (read-for-ownership) only to overwrite it, and the next layer finds
/// little of it in cache anyway. A smaller output mostly is still in L3 when the next layer (and a later residual add)
/// reads it, which streaming stores would throw away: in whole-network runs at batch 32 (per-kernel PoCL traces, Zen 5
/// with a 32 MiB L3) ResNet-50 took about 7 % longer with streaming stores from 4 MiB up than with none, and a
/// threshold of twice the L3 was as fast as none on ResNet-50 and a few percent faster on MobileNetV2, whose 112×112
/// expand outputs pass it. Isolated per-kernel timings had favoured 4 MiB: they re-run a layer on inputs it had just
/// read, which hid the cost to the next layer.
/// </summary>
internal static class NonTemporalStores
{
    /// <summary>Smallest output (bytes) written with streaming stores when the device reports no cache size: 64 MiB.</summary>
    public const long DefaultMinBytes = 64L << 20;

    /// <summary>Off when <c>GPUSEARCH_NT_STORES=0</c> (or <c>off</c>), for A/B measurements.</summary>
    public static bool Enabled { get; } = Environment.GetEnvironmentVariable("GPUSEARCH_NT_STORES") is not ("0" or "off" or "OFF");

    /// <summary>Smallest output (bytes) written with streaming stores on <paramref name="device"/>: twice its last-level cache.</summary>
    public static long MinBytes(DeviceInfo device) => device.CacheBytes > 0 ? 2 * device.CacheBytes : DefaultMinBytes;

    /// <summary>
    /// 1 when a kernel on <paramref name="device"/> writing <paramref name="outputBytes"/> should use streaming stores, else 0
    /// (the define's value). <paramref name="force"/> overrides the size rule on CPU devices (tests of the streaming paths).
    /// </summary>
    public static int For(DeviceInfo device, long outputBytes, bool? force = null) =>
        Enabled && device.IsCpu && (force ?? outputBytes >= MinBytes(device)) ? 1 : 0;
}
