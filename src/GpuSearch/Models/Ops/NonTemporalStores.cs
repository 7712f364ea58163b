// When a CPU kernel should write its output around the caches (kernels' NT_STORE define).
using GpuSearch.Compute;

namespace GpuSearch.Models.Ops;

/// <summary>
/// Non-temporal stores for large outputs on CPU devices. A kernel that overwrites whole cache lines of a tensor much
/// larger than the caches otherwise reads every line first (read-for-ownership) only to overwrite it: a third more
/// memory traffic in the memory-bound early layers of a CNN at batch 8 (MobileNetV2's 16→96 1×1 at 112×112 took half
/// the time with them; ResNet-50's 64→256 downsample at 56×56 a third less). Below the threshold the output would still
/// be in L2/L3 when the next layer reads it, which streaming stores would throw away.
/// </summary>
internal static class NonTemporalStores
{
    /// <summary>Smallest output (bytes) written with streaming stores: 4 MiB, measured on a Zen 5 with 1 MiB of L2 per core.</summary>
    public const long MinBytes = 4L << 20;

    /// <summary>Off when <c>GPUSEARCH_NT_STORES=0</c> (or <c>off</c>), for A/B measurements.</summary>
    public static bool Enabled { get; } = Environment.GetEnvironmentVariable("GPUSEARCH_NT_STORES") is not ("0" or "off" or "OFF");

    /// <summary>1 when a kernel on <paramref name="device"/> writing <paramref name="outputBytes"/> should use streaming stores, else 0 (the define's value).</summary>
    public static int For(DeviceInfo device, long outputBytes) => Enabled && device.IsCpu && outputBytes >= MinBytes ? 1 : 0;
}
