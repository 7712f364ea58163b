// The geometry of one 2-D convolution (NCHW input, ONNX weight layout [M, C/group, KH, KW]).
namespace GpuSearch.Models.Ops;

/// <summary>Shape and attributes of a Conv2D; pads are explicit (auto_pad is resolved by the caller or <see cref="SamePads"/>).</summary>
/// <param name="Batch">N.</param>
/// <param name="InChannels">C.</param>
/// <param name="Height">H.</param>
/// <param name="Width">W.</param>
/// <param name="OutChannels">M.</param>
/// <param name="KernelH">KH.</param>
/// <param name="KernelW">KW.</param>
/// <param name="StrideH">Vertical stride.</param>
/// <param name="StrideW">Horizontal stride.</param>
/// <param name="PadTop">Zero rows above.</param>
/// <param name="PadLeft">Zero columns left.</param>
/// <param name="PadBottom">Zero rows below.</param>
/// <param name="PadRight">Zero columns right.</param>
/// <param name="DilationH">Vertical dilation.</param>
/// <param name="DilationW">Horizontal dilation.</param>
/// <param name="Group">Groups; C and M must be multiples of it.</param>
internal sealed record Conv2dShape(int Batch, int InChannels, int Height, int Width, int OutChannels, int KernelH, int KernelW,
    int StrideH = 1, int StrideW = 1, int PadTop = 0, int PadLeft = 0, int PadBottom = 0, int PadRight = 0,
    int DilationH = 1, int DilationW = 1, int Group = 1)
{
    /// <summary>Output height.</summary>
    public int OutHeight => (Height + PadTop + PadBottom - DilationH * (KernelH - 1) - 1) / StrideH + 1;
    /// <summary>Output width.</summary>
    public int OutWidth => (Width + PadLeft + PadRight - DilationW * (KernelW - 1) - 1) / StrideW + 1;
    /// <summary>Input elements.</summary>
    public long InputCount => (long)Batch * InChannels * Height * Width;
    /// <summary>Weight elements.</summary>
    public long WeightCount => (long)OutChannels * (InChannels / Group) * KernelH * KernelW;
    /// <summary>Output elements.</summary>
    public long OutputCount => (long)Batch * OutChannels * OutHeight * OutWidth;
    /// <summary>Multiply-accumulates.</summary>
    public long Macs => OutputCount * (InChannels / Group) * KernelH * KernelW;

    /// <summary>1×1 kernel, stride 1, no pads: a plain GEMM per image.</summary>
    public bool IsPointwise => KernelH == 1 && KernelW == 1 && StrideH == 1 && StrideW == 1 &&
                               PadTop == 0 && PadLeft == 0 && PadBottom == 0 && PadRight == 0;

    /// <summary>One input channel per group, each feeding M/C outputs (depthwise, channel multiplier M/C).</summary>
    public bool IsDepthwise => Group > 1 && Group == InChannels && OutChannels % InChannels == 0;

    /// <summary>Throws on inconsistent attributes.</summary>
    public void Validate()
    {
        OpCheck.Positive("Conv2D dimensions", Batch, InChannels, Height, Width, OutChannels, KernelH, KernelW);
        OpCheck.Positive("Conv2D strides/dilations/group", StrideH, StrideW, DilationH, DilationW, Group);
        if (PadTop < 0 || PadLeft < 0 || PadBottom < 0 || PadRight < 0)
            throw new ArgumentOutOfRangeException(nameof(PadTop), $"Conv2D pads must be non-negative (got {PadTop},{PadLeft},{PadBottom},{PadRight})");
        if (InChannels % Group != 0 || OutChannels % Group != 0)
            throw new ArgumentException($"Conv2D channels C={InChannels}, M={OutChannels} are not multiples of group {Group}");
        if (OutHeight <= 0 || OutWidth <= 0)
            throw new ArgumentException($"Conv2D output would be empty: {Height}×{Width} input, kernel {KernelH}×{KernelW}, dilation {DilationH}×{DilationW}, pads {PadTop},{PadLeft},{PadBottom},{PadRight}");
    }

    /// <summary>
    /// Pads for ONNX auto_pad SAME_UPPER / SAME_LOWER: output = ceil(input / stride), the odd pad going
    /// to the end (upper) or the beginning (lower).
    /// </summary>
    public static (int Begin, int End) SamePads(int input, int kernel, int stride, int dilation, bool upper)
    {
        var output = (input + stride - 1) / stride;
        var total = Math.Max(0, (output - 1) * stride + dilation * (kernel - 1) + 1 - input);
        var small = total / 2;
        return upper ? (small, total - small) : (total - small, small);
    }
}
