// A compile that the on-disk kernel cache could not serve takes seconds per program on a CPU device (minutes
// for a whole model), so the compile path reports each one; the library never prints, a host (the CLI)
// decides what to show.
namespace GpuSearch.Compute;

/// <summary>
/// One kernel program compiled from source because the on-disk cache (<see cref="KernelCache"/>) had no usable
/// binary: reported once when the compile starts (<see cref="Done"/> false) and once when it ends.
/// </summary>
/// <param name="Device">The device compiled for.</param>
/// <param name="KernelFile">The kernel file, e.g. <c>conv.cl</c>.</param>
/// <param name="SourceKey">The expanded source's cache key (file, defines and backend), unique per program.</param>
/// <param name="Number">This compile's ordinal among the compiles from source on this device object (1, 2, …).</param>
/// <param name="Done">False when the compile starts, true when it has finished.</param>
/// <param name="Elapsed">How long the compile took (zero when it starts).</param>
internal readonly record struct KernelCompileProgress(DeviceInfo Device, string KernelFile, string SourceKey, int Number, bool Done, TimeSpan Elapsed);
