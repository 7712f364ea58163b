// Resolves the spatial geometry of Conv and pooling nodes (kernel, strides, dilations, pads, auto_pad,
// ceil_mode) into explicit numbers. Shared by shape inference, the optimizer (FusedConv always carries
// explicit pads) and FLOP counting so the three can never disagree.
namespace GpuSearch.Models.Graph;

/// <summary>Explicit geometry of a convolution or pooling window over <c>Spatial</c> dimensions.</summary>
internal sealed class ConvGeometry
{
    /// <summary>Kernel size per spatial dimension.</summary>
    public long[] Kernel { get; init; } = [];
    /// <summary>Stride per spatial dimension.</summary>
    public long[] Strides { get; init; } = [];
    /// <summary>Dilation per spatial dimension.</summary>
    public long[] Dilations { get; init; } = [];
    /// <summary>Pads in ONNX order: all begins, then all ends.</summary>
    public long[] Pads { get; init; } = [];
    /// <summary>Output size per spatial dimension (-1 where the input size was symbolic).</summary>
    public long[] Output { get; init; } = [];

    /// <summary>The auto_pad values ONNX defines.</summary>
    public static readonly IReadOnlyList<string> AutoPadValues = ["NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"];

    /// <summary>
    /// Computes geometry for <paramref name="node"/> given the input's spatial sizes (-1 = unknown) and the
    /// kernel size (from kernel_shape, or the weight for Conv). <paramref name="ceilMode"/> applies to pools.
    /// </summary>
    public static ConvGeometry Resolve(GraphNode node, long[] inputSpatial, long[] kernel, bool ceilMode = false)
    {
        int r = inputSpatial.Length;
        var strides = node.GetInts("strides") ?? Fill(r, 1);
        var dil = node.GetInts("dilations") ?? Fill(r, 1);
        var pads = (long[])(node.GetInts("pads") ?? Fill(2 * r, 0)).Clone();
        if (strides.Length != r || dil.Length != r || pads.Length != 2 * r || kernel.Length != r)
            throw new InvalidDataException($"{node.Describe()}: strides/dilations/pads/kernel_shape do not match {r} spatial dims");
        if (strides.Any(s => s <= 0) || dil.Any(d => d <= 0) || kernel.Any(k => k <= 0) || pads.Any(p => p < 0))
            throw new InvalidDataException($"{node.Describe()}: kernel, strides and dilations must be positive and pads non-negative");
        var autoPad = node.GetString("auto_pad", "NOTSET");
        var output = new long[r];
        // Checked: attributes come from the file (pads of 2^62 must fail here, naming the node, not wrap).
        checked
        {
            for (int i = 0; i < r; i++)
            {
                long eff = (kernel[i] - 1) * dil[i] + 1;
                long inSize = inputSpatial[i];
                if (autoPad is "SAME_UPPER" or "SAME_LOWER")
                {
                    if (inSize < 0) { output[i] = -1; continue; }
                    long outSize = (inSize + strides[i] - 1) / strides[i];
                    long total = Math.Max(0, (outSize - 1) * strides[i] + eff - inSize);
                    long small = total / 2, big = total - small;
                    (pads[i], pads[i + r]) = autoPad == "SAME_UPPER" ? (small, big) : (big, small);
                    output[i] = outSize;
                    continue;
                }
                if (autoPad == "VALID") { pads[i] = 0; pads[i + r] = 0; }
                else if (autoPad != "NOTSET")
                    throw new NotSupportedException($"{node.Describe()}: auto_pad '{autoPad}' is not supported (supported: {string.Join(", ", AutoPadValues)})");
                if (inSize < 0) { output[i] = -1; continue; }
                long span = inSize + pads[i] + pads[i + r] - eff;
                if (span < 0) throw new InvalidDataException($"{node.Describe()}: kernel {kernel[i]} (dilation {dil[i]}) is larger than padded input {inSize + pads[i] + pads[i + r]}");
                long o = (ceilMode ? (span + strides[i] - 1) / strides[i] : span / strides[i]) + 1;
                // ONNX/PyTorch ceil mode: the last window must start inside the input or left pad.
                if (ceilMode && (o - 1) * strides[i] >= inSize + pads[i]) o--;
                output[i] = o;
            }
        }
        return new ConvGeometry { Kernel = kernel, Strides = strides, Dilations = dil, Pads = pads, Output = output };
    }

    private static long[] Fill(int n, long v) => Enumerable.Repeat(v, n).ToArray();
}
