// Activation functions applied by fused epilogues (conv, GEMM) and by the unary tensor ops.
// The numeric values are the ACT codes of kernels/activation.h.
namespace GpuSearch.Models.Ops;

/// <summary>Activation function kinds (values match <c>ACT</c> in kernels/activation.h).</summary>
internal enum ActivationKind
{
    /// <summary>Identity.</summary>
    None = 0,
    /// <summary>max(x, 0).</summary>
    Relu = 1,
    /// <summary>x ≥ 0 ? x : alpha·x.</summary>
    LeakyRelu = 2,
    /// <summary>min(max(x, alpha), beta); NaN passes through.</summary>
    Clip = 3,
    /// <summary>1 / (1 + e^-x).</summary>
    Sigmoid = 4,
    /// <summary>max(0, min(1, alpha·x + beta)).</summary>
    HardSigmoid = 5,
    /// <summary>x · max(0, min(1, x/6 + 1/2)).</summary>
    HardSwish = 6,
    /// <summary>x · sigmoid(x).</summary>
    Silu = 7,
    /// <summary>0.5·x·(1 + erf(x/√2)).</summary>
    Gelu = 8,
    /// <summary>tanh(x).</summary>
    Tanh = 9,
    /// <summary>erf(x).</summary>
    Erf = 10,
    /// <summary>√x.</summary>
    Sqrt = 11,
    /// <summary>e^x.</summary>
    Exp = 12,
    /// <summary>Gelu with the tanh approximation.</summary>
    GeluTanh = 13,
    /// <summary>-x.</summary>
    Neg = 14,
    /// <summary>|x|.</summary>
    Abs = 15,
    /// <summary>1/x.</summary>
    Reciprocal = 16,
    /// <summary>ln x.</summary>
    Log = 17,
    /// <summary>x rounded to the nearest fp16 value (Cast to float16 when tensors are stored as fp32).</summary>
    RoundToHalf = 18,
}

/// <summary>An activation and its two parameters (alpha/beta, or min/max for <see cref="ActivationKind.Clip"/>).</summary>
/// <param name="Kind">Which function.</param>
/// <param name="Alpha">First parameter (LeakyRelu slope, Clip min, HardSigmoid alpha).</param>
/// <param name="Beta">Second parameter (Clip max, HardSigmoid beta).</param>
internal readonly record struct Activation(ActivationKind Kind, float Alpha = 0f, float Beta = 0f)
{
    /// <summary>No activation.</summary>
    public static Activation None => new(ActivationKind.None);
    /// <summary>Relu.</summary>
    public static Activation Relu => new(ActivationKind.Relu);
    /// <summary>LeakyRelu with the given slope (ONNX default 0.01).</summary>
    public static Activation LeakyRelu(float alpha = 0.01f) => new(ActivationKind.LeakyRelu, alpha);
    /// <summary>Clip to [min, max] (ONNX defaults: ±float.MaxValue, i.e. unbounded).</summary>
    public static Activation Clip(float min = float.MinValue, float max = float.MaxValue) => new(ActivationKind.Clip, min, max);
    /// <summary>HardSigmoid (ONNX defaults alpha 0.2, beta 0.5).</summary>
    public static Activation HardSigmoid(float alpha = 0.2f, float beta = 0.5f) => new(ActivationKind.HardSigmoid, alpha, beta);
    /// <summary>A parameterless activation.</summary>
    public static Activation Of(ActivationKind kind) => new(kind);

    /// <summary>True for the identity.</summary>
    public bool IsNone => Kind == ActivationKind.None;

    internal void Validate()
    {
        if (!Enum.IsDefined(Kind)) throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "Unknown activation kind");
    }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        ActivationKind.LeakyRelu => $"LeakyRelu({Alpha})",
        ActivationKind.Clip => $"Clip({Alpha}, {Beta})",
        ActivationKind.HardSigmoid => $"HardSigmoid({Alpha}, {Beta})",
        _ => Kind.ToString(),
    };
}
