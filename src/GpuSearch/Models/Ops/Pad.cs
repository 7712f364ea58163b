// Host side of kernels/layout.cl pad: constant, edge and reflect padding of up to 6-D fp32 tensors.
using GpuSearch.Compute;

namespace GpuSearch.Models.Ops;

/// <summary>Pad modes (values match PAD_MODE in layout.cl).</summary>
internal enum PadMode { Constant = 0, Edge = 1, Reflect = 2 }

/// <summary>ONNX Pad on contiguous fp32 views.</summary>
internal static class Pad
{
    /// <summary>Pads x into y by <paramref name="begin"/>/<paramref name="end"/> elements per axis (negative values crop).</summary>
    public static void Run(ComputeStream stream, PadMode mode, int[] begin, int[] end, float value, DeviceTensor x, DeviceTensor y)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(begin);
        ArgumentNullException.ThrowIfNull(end);
        var shape = x.Shape;
        if (begin.Length != shape.Length || end.Length != shape.Length) throw new ArgumentException("Pad: one begin and end per axis");
        if (shape.Length > StridedIndex.MaxDims) throw new NotSupportedException($"Pad of a {shape.Length}-D tensor (at most {StridedIndex.MaxDims})");
        if (!Enum.IsDefined(mode)) throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown pad mode");
        var outShape = shape.Select((d, i) => d + begin[i] + end[i]).ToArray();
        if (outShape.Any(d => d < 0)) throw new ArgumentException("Pad: negative output size");
        if (mode == PadMode.Reflect)
            for (int i = 0; i < shape.Length; i++)
                if ((begin[i] > 0 || end[i] > 0) && (begin[i] >= shape[i] || end[i] >= shape[i]))
                    throw new ArgumentException($"Reflect pad of axis {i} ({begin[i]}, {end[i]}) must be smaller than its size {shape[i]}");
        if (mode == PadMode.Edge && shape.Where((d, i) => d == 0 && outShape[i] > 0).Any())
            throw new ArgumentException("Edge pad of an empty axis");
        long n = OpCheck.Count(outShape);
        x.Require(nameof(x), x.Count, TensorStorage.F32);
        y.Require(nameof(y), n, TensorStorage.F32);
        if (n == 0) return;
        if (begin.All(v => v == 0) && end.All(v => v == 0))
        {
            // Nothing to pad (Swin pads its maps to a multiple of the window, which at 224 px they already are): a copy.
            var strides = StridedIndex.Contiguous(shape);
            Layout.StridedCopy(stream, shape, strides, strides, x.Buffer, x.Offset, y.Buffer, y.Offset);
            return;
        }
        int lead = StridedIndex.MaxDims - shape.Length;
        int[] o = new int[6], s = new int[6], p = new int[6];
        for (int i = 0; i < 6; i++)
        {
            var j = i - lead;
            o[i] = j >= 0 ? outShape[j] : 1;
            s[i] = j >= 0 ? shape[j] : 1;
            p[i] = j >= 0 ? begin[j] : 0;
        }
        var k = stream.Device.GetKernel("layout.cl", "pad", new KernelDefines().Set("PAD_MODE", (int)mode));
        var args = new KernelArgs().Long(n);
        foreach (var v in o) args.Int(v);
        foreach (var v in s) args.Int(v);
        foreach (var v in p) args.Int(v);
        stream.Launch(k, [n], [256], args.Float(value).Buffer(x.Buffer).Long(x.Offset).Buffer(y.Buffer).Long(y.Offset));
    }
}
