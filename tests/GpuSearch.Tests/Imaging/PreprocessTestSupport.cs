// Shared helpers of the preprocess tests: one opened device for the whole run, seeded random images,
// and a GPU run that surrounds the written batch slot with guard slots to catch stray writes.
using GpuSearch.Compute;
using GpuSearch.Imaging;

namespace GpuSearch.Tests.Imaging;

/// <summary>Opens the preferred device once per test class (PoCL in CI; a missing device fails the tests).</summary>
public sealed class PreprocessDeviceFixture : IDisposable
{
    /// <summary>The device under test.</summary>
    internal ComputeDevice Device { get; } = DeviceRegistry.Default.Open("auto");

    /// <inheritdoc />
    public void Dispose() => Device.Dispose();
}

internal static class PreprocessTestSupport
{
    /// <summary>Guard pattern written over the whole tensor before the run; slots not written must keep it.</summary>
    public const uint Guard = 0x7FC1DEADu;

    /// <summary>Random RGB8 pixels, deterministic for a (width, height, seed).</summary>
    public static byte[] RandomImage(int width, int height, int seed)
    {
        var rng = new Random(seed * 7919 + width * 31 + height);
        var data = new byte[3 * width * height];
        // Mix smooth gradients with noise so both the weights and the clamping (bicubic overshoot) matter.
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int c = 0; c < 3; c++)
                {
                    int smooth = (x * (c + 1) * 255 / Math.Max(width, 1) + y * 255 / Math.Max(height, 1)) / 2;
                    data[(y * width + x) * 3 + c] = (byte)(rng.Next(4) == 0 ? rng.Next(256) : smooth);
                }
        return data;
    }

    /// <summary>
    /// Runs the GPU preprocessor into slot 1 of a 3-image tensor and returns that slot as floats; throws if
    /// slot 0 or 2 was touched.
    /// </summary>
    public static float[] RunGpu(ComputeDevice device, PreprocessSpec spec, byte[] rgb, int width, int height)
    {
        using var pre = new GpuPreprocessor(device, spec);
        var (ow, oh) = pre.OutputSize(width, height);
        using var tensor = pre.AllocateBatch(3, ow, oh);
        device.Stream.Fill(tensor, Guard);
        pre.Run(rgb, width, height, tensor, slot: 1);
        device.Stream.Synchronize();
        var all = device.Stream.Download<byte>(tensor);
        long imageBytes = 3L * ow * oh * pre.ElementBytes;
        var guard = BitConverter.GetBytes(Guard);
        for (long i = 0; i < all.Length; i++)
        {
            if (i >= imageBytes && i < 2 * imageBytes) continue;
            if (all[i] != guard[i % 4]) throw new Xunit.Sdk.XunitException($"Byte {i} outside slot 1 was overwritten");
        }
        var slot = all.AsSpan((int)imageBytes, (int)imageBytes);
        return spec.DType == TensorDType.Fp16
            ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(slot).ToArray().Select(h => (float)h).ToArray()
            : System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(slot).ToArray();
    }

    /// <summary>Largest and mean absolute difference, and the index of the largest.</summary>
    public static (double Max, double Mean, int At) Diff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new Xunit.Sdk.XunitException($"Length {a.Length} != {b.Length}");
        double max = 0, sum = 0;
        int at = -1;
        for (int i = 0; i < a.Length; i++)
        {
            double d = Math.Abs((double)a[i] - b[i]);
            if (!(d <= max)) { max = d; at = i; }
            sum += d;
        }
        return (max, a.Length == 0 ? 0 : sum / a.Length, at);
    }
}
