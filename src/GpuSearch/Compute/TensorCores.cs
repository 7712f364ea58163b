// The opt-in switch for the CUDA tensor-core kernel variants (TC=1 in gemm.cl, attention.cl, scan_topk.cl).
// They round fp32 operands to fp16 before mma.sync (fp32 accumulation), so their results differ from the
// portable kernels' in the low bits, and no GPU has yet verified them: they are never chosen by default.
// GPUSEARCH_TENSOR_CORES=1 turns them on for a process (bench/gpu/run.sh does for its tensor-core step);
// tests compare both paths in one process through Override. Models/TUNING.md says why opt-in, not tuned.
using GpuSearch.Compute.Cuda;

namespace GpuSearch.Compute;

internal static class TensorCores
{
    /// <summary>The environment variable that requests the tensor-core variants ("1" or "on").</summary>
    public const string EnvironmentVariable = "GPUSEARCH_TENSOR_CORES";

    private static readonly AsyncLocal<bool?> OverrideValue = new();

    private static readonly bool FromEnvironment =
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { } v &&
        (v == "1" || v.Equals("on", StringComparison.OrdinalIgnoreCase));

    /// <summary>Whether the variants are requested on this flow: the override if set, else the environment.</summary>
    public static bool Requested => OverrideValue.Value ?? FromEnvironment;

    /// <summary>
    /// Sets the request for the calling flow (async-local, so tests running in parallel do not see each
    /// other's choice) until the returned scope is disposed.
    /// </summary>
    public static IDisposable Override(bool on)
    {
        var previous = OverrideValue.Value;
        OverrideValue.Value = on;
        return new Scope(previous);
    }

    /// <summary>Whether the device can run them: CUDA, compute capability 8.0+ (mma.sync.m16n8k16 with fp16).</summary>
    public static bool Supported(ComputeDevice device) => device is CudaDevice { Props.CcMajor: >= 8 };

    /// <summary>Requested and supported: the kernel launchers use the TC=1 variant.</summary>
    public static bool UseFor(ComputeDevice device) => Requested && Supported(device);

    private sealed class Scope(bool? previous) : IDisposable
    {
        public void Dispose() => OverrideValue.Value = previous;
    }
}
