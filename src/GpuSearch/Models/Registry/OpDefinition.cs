// One op (ONNX default domain, or an engine op made by the optimizer) as the engine understands it, in one
// record: what the validator accepts, how shape inference types its outputs, how constant folding computes
// it on the host, and how the executor lowers it to kernel launches. Validator, ShapeInference,
// ConstantFolding and Lowering all read these records from OpRegistry, so the four can no longer drift.
using GpuSearch.Compute;
using GpuSearch.Models.Execution;
using GpuSearch.Models.Graph;

namespace GpuSearch.Models.Registry;

/// <summary>Null when the node is fine, else the reason it is not, naming the attribute, input or dtype.</summary>
internal delegate string? SupportCheck(ModelGraph graph, GraphNode node);

/// <summary>Sets the dtype and shape of the node's outputs (see ShapeInference's helpers).</summary>
internal delegate void ShapeRule(ModelGraph graph, GraphNode node);

/// <summary>The node's first output computed on the host from constant inputs, or null when it cannot be.</summary>
internal delegate ConstTensor? FoldRule(ModelGraph graph, GraphNode node);

/// <summary>Emits the plan steps (kernel launches) or aliases that compute the node for concrete shapes.</summary>
internal delegate void LowerRule(Lowering lowering, GraphNode node);

/// <summary>Backends whose kernels run an op.</summary>
[Flags]
internal enum BackendSupport
{
    /// <summary>No backend.</summary>
    None = 0,
    /// <summary>OpenCL devices (GPUs, PoCL on the CPU).</summary>
    OpenCL = 1,
    /// <summary>CUDA devices.</summary>
    Cuda = 2,
    /// <summary>Every backend: the kernels are one OpenCL-C/CUDA source.</summary>
    All = OpenCL | Cuda,
}

/// <summary>When <see cref="OpDefinition.Fold"/> may be tried.</summary>
internal enum FoldWhen
{
    /// <summary>Every non-omitted input is a constant.</summary>
    InputsConstant,
    /// <summary>Always (Constant has no inputs; Shape needs only its input's shape).</summary>
    Always,
}

/// <summary>
/// An op's one definition. <see cref="Lower"/> null means the engine knows the op's shapes (so
/// <c>gpusearch model-info</c> can describe a model using it) but has no kernel: the validator refuses it.
/// </summary>
internal sealed record OpDefinition
{
    /// <summary>The op type as it appears in the graph (e.g. "Conv", "FusedConv").</summary>
    public required string OpType { get; init; }
    /// <summary>Attribute/input constraints beyond "the op type is known"; null when there are none.</summary>
    public SupportCheck? Check { get; init; }
    /// <summary>The shape and dtype rule.</summary>
    public required ShapeRule Shape { get; init; }
    /// <summary>Host evaluation for constant folding; null when the op is never folded.</summary>
    public FoldRule? Fold { get; init; }
    /// <summary>When folding is tried.</summary>
    public FoldWhen FoldWhen { get; init; } = FoldWhen.InputsConstant;
    /// <summary>Lowering to kernels; null when the executor cannot run the op.</summary>
    public LowerRule? Lower { get; init; }
    /// <summary>Backends whose kernels run the op (checked when a session is made for a device).</summary>
    public BackendSupport Backends { get; init; } = BackendSupport.All;

    /// <summary>True when the validator accepts the op: the executor can run it.</summary>
    public bool IsSupported => Lower is not null && Backends != BackendSupport.None;

    /// <summary>True when <paramref name="backend"/>'s kernels run the op.</summary>
    public bool RunsOn(ComputeBackend backend) => IsSupported && backend switch
    {
        ComputeBackend.OpenCL => Backends.HasFlag(BackendSupport.OpenCL),
        ComputeBackend.Cuda => Backends.HasFlag(BackendSupport.Cuda),
        _ => false,
    };
}
