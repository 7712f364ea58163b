// One launched operation of an execution plan: which values it reads and writes (for liveness) and
// the closure that enqueues its kernels, resolving value names to device memory at run time.
using GpuSearch.Compute;

namespace GpuSearch.Models.Execution;

/// <summary>Device memory of one value: a buffer and an element offset into it.</summary>
/// <param name="Buffer">The buffer.</param>
/// <param name="Offset">Element offset.</param>
internal readonly record struct DeviceSlice(DeviceBuffer Buffer, long Offset)
{
    /// <summary>This memory as a contiguous tensor of <paramref name="shape"/>.</summary>
    public GpuSearch.Models.Ops.DeviceTensor View(int[] shape, GpuSearch.Models.Ops.TensorStorage dtype = GpuSearch.Models.Ops.TensorStorage.F32) =>
        new(Buffer, Offset, shape, null, dtype);
}

/// <summary>Resolves value names to device memory while a plan runs.</summary>
internal interface IPlanBindings
{
    /// <summary>Where value <paramref name="name"/> lives as fp32 (arena slot, weight or alias root).</summary>
    DeviceSlice this[string name] { get; }

    /// <summary>A constant in the given storage (fp16 copies are made on first use); fp32 for non-constants.</summary>
    DeviceSlice Weight(string name, GpuSearch.Models.Ops.TensorStorage storage);

    /// <summary>
    /// An fp32 constant derived from the model's, made by <paramref name="make"/> on the session's first use of
    /// <paramref name="name"/> and shared by every plan (see <see cref="WeightStore.GetDerived(string, Func{float[]})"/>).
    /// </summary>
    DeviceSlice Derived(string name, Func<float[]> make);

    /// <summary><see cref="Derived(string, Func{float[]})"/> for a constant of <paramref name="elements"/> floats made in pieces.</summary>
    DeviceSlice Derived(string name, long elements, Action<GpuSearch.Models.Ops.ConstantSink> make);
}

/// <summary>An enqueued operation of a plan.</summary>
/// <param name="Node">Name of the graph node it implements.</param>
/// <param name="OpType">Its op type.</param>
/// <param name="Reads">Device values read (graph value names, aliases allowed).</param>
/// <param name="Writes">Device values written.</param>
/// <param name="Run">Enqueues the kernels.</param>
internal sealed record PlanStep(string Node, string OpType, string[] Reads, string[] Writes, Action<ComputeStream, IPlanBindings> Run);
