// The contract between the optimizer and the executor for engine-defined (fused) ops. The executor author
// implements exactly these semantics; the optimizer only ever emits what is described here.
namespace GpuSearch.Models.Graph;

/// <summary>
/// Engine-defined ops produced by the optimizer (domain <see cref="Domain"/>).
/// <para><b>FusedConv</b> — inputs <c>[X, W, B?, R?]</c> ("" for an absent B), output <c>[Y]</c>:
/// <c>Y = act(conv(X, W) + B + R)</c>, i.e. bias, then the residual, then the activation.
/// Attributes are always explicit (never defaulted): <c>kernel_shape</c>, <c>strides</c>, <c>dilations</c>,
/// <c>pads</c> (ONNX order: all begins then all ends; auto_pad already resolved), <c>group</c>, plus
/// <c>activation</c> (string, one of <see cref="Activations"/>), <c>activation_alpha</c> and
/// <c>activation_beta</c> (floats; meaning per activation below). R has Y's shape exactly (no broadcast).</para>
/// <para><b>FusedGemm</b> — ONNX Gemm (inputs <c>[A, B, C?]</c>, attributes alpha, beta, transA, transB,
/// all explicit) followed by the same <c>activation</c>/<c>activation_alpha</c>/<c>activation_beta</c> epilogue.</para>
/// <para><b>FusedMatMul</b> — a Linear layer on a tensor of any rank ≥ 2: inputs <c>[A, W, B, R?]</c>, output <c>[Y]</c>,
/// <c>Y = act(A·W + B + R)</c> where A is [..., K] (its leading dims are rows), W a constant [K, N], B a constant
/// of N elements (per column) and R (optional) has Y's shape exactly; activation attributes as above, always explicit.</para>
/// <para>Activations: <c>None</c> y=x; <c>Relu</c> max(x,0); <c>LeakyRelu</c> x≥0?x:alpha·x;
/// <c>Clip</c> min(max(x,alpha),beta) (ReLU6 is Clip 0,6; ±inf when a bound was absent);
/// <c>Sigmoid</c> 1/(1+e^-x); <c>HardSigmoid</c> max(0,min(1,alpha·x+beta));
/// <c>HardSwish</c> x·max(0,min(1,x/6+0.5)); <c>SiLU</c> x·sigmoid(x); <c>Gelu</c> 0.5·x·(1+erf(x/√2));
/// <c>GeluTanh</c> 0.5·x·(1+tanh(√(2/π)·(x+0.044715·x³))); <c>Tanh</c> tanh(x).</para>
/// </summary>
internal static class FusedOps
{
    /// <summary>Domain of engine-defined ops.</summary>
    public const string Domain = "gpusearch";
    /// <summary>Convolution with bias, residual and activation epilogue.</summary>
    public const string FusedConv = "FusedConv";
    /// <summary>Gemm with activation epilogue.</summary>
    public const string FusedGemm = "FusedGemm";
    /// <summary>Linear layer (MatMul by constant weights) with bias, residual and activation epilogue.</summary>
    public const string FusedMatMul = "FusedMatMul";
    /// <summary>softmax(scale · A·B) · V in one kernel (Optimizer/FuseAttention); inputs [A, B, V], attribute <c>scale</c>, and <c>perm_b</c> when input 1 is K read through its Transpose.</summary>
    public const string FusedAttention = "FusedAttention";

    /// <summary>Attribute: activation name.</summary>
    public const string ActivationAttr = "activation";
    /// <summary>Attribute: first activation parameter.</summary>
    public const string AlphaAttr = "activation_alpha";
    /// <summary>Attribute: second activation parameter.</summary>
    public const string BetaAttr = "activation_beta";

    /// <summary>Every activation name a fused op may carry.</summary>
    public static readonly IReadOnlyList<string> Activations =
        ["None", "Relu", "LeakyRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "SiLU", "Gelu", "GeluTanh", "Tanh"];

    /// <summary>The activation of a fused node ("None" when unset).</summary>
    public static string ActivationOf(GraphNode n) => n.GetString(ActivationAttr, "None");

    /// <summary>Index of the residual input of FusedConv and FusedMatMul.</summary>
    public const int ResidualInput = 3;

    /// <summary>Reference scalar implementation of an activation (documentation that runs; used by tests and folding).</summary>
    public static float Apply(string activation, float x, float alpha, float beta) => activation switch
    {
        "None" => x,
        "Relu" => MathF.Max(x, 0),
        "LeakyRelu" => x >= 0 ? x : alpha * x,
        "Clip" => MathF.Min(MathF.Max(x, alpha), beta),
        "Sigmoid" => 1 / (1 + MathF.Exp(-x)),
        "HardSigmoid" => MathF.Max(0, MathF.Min(1, alpha * x + beta)),
        "HardSwish" => x * MathF.Max(0, MathF.Min(1, x / 6 + 0.5f)),
        "SiLU" => x / (1 + MathF.Exp(-x)),
        "Gelu" => 0.5f * x * (1 + Erf(x / MathF.Sqrt(2))),
        "GeluTanh" => 0.5f * x * (1 + MathF.Tanh(MathF.Sqrt(2 / MathF.PI) * (x + 0.044715f * x * x * x))),
        "Tanh" => MathF.Tanh(x),
        _ => throw new NotSupportedException($"activation '{activation}' is not defined"),
    };

    /// <summary>Error function (Abramowitz–Stegun 7.1.26, |error| &lt; 1.5e-7), enough for a float reference.</summary>
    public static float Erf(float x)
    {
        double t = 1 / (1 + 0.3275911 * Math.Abs(x));
        double y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.Exp(-x * (double)x);
        return (float)(x >= 0 ? y : -y);
    }
}
