// The erf of activation.h (OpenCL devices compute it themselves: PoCL's builtin is a scalar call per lane) against a
// double-accurate erf on a dense grid, through the Erf and Gelu unary ops on the CPU device.
using GpuSearch.Models.Ops;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Models;

public sealed class ErfAccuracyTests
{
    private static float[] Grid()
    {
        var x = new List<float>();
        for (int i = -30000; i <= 30000; i++) x.Add(i * 2e-4f); // [-6, 6], across the switch at |x| = 1
        for (int e = -30; e <= 0; e++) { x.Add(MathF.Pow(2, e)); x.Add(-MathF.Pow(2, e)); }
        x.AddRange([0f, -0f, 1f, -1f, MathF.BitDecrement(1f), MathF.BitIncrement(1f), 9f, -9f, float.PositiveInfinity, float.NegativeInfinity]);
        return [.. x];
    }

    private static float[] Run(ActivationKind kind, float[] x)
    {
        var d = Devices.Cpu;
        using var xb = CnnOpsTests.Upload(d, x);
        using var y = new GuardedBuffer(d, x.Length);
        Broadcast.Unary(d.Stream, new Activation(kind), DeviceTensor.Flat(xb, 0, x.Length), DeviceTensor.Flat(y.Buffer, y.Offset, x.Length));
        return y.DownloadPayload<float>(d.Stream);
    }

    [Fact]
    public void Erf_is_within_a_few_ulp_everywhere_and_exact_at_the_limits()
    {
        var x = Grid();
        var y = Run(ActivationKind.Erf, x);
        for (int i = 0; i < x.Length; i++)
        {
            double want = float.IsInfinity(x[i]) ? Math.Sign(x[i]) : CnnReference.Erf(x[i]);
            double err = Math.Abs(y[i] - want);
            Assert.True(err <= 2e-7 && err <= 4e-7 * Math.Abs(want) + 1e-45, $"erf({x[i]:R}) = {y[i]:R}, want {want:R}");
        }
        Assert.True(float.IsNegative(Run(ActivationKind.Erf, [-0f])[0]), "erf(-0) must be -0");
        Assert.True(float.IsNaN(Run(ActivationKind.Erf, [float.NaN])[0]));
    }

    [Fact]
    public void Gelu_is_within_2e7_absolute_of_the_exact_form()
    {
        var x = Grid().Where(float.IsFinite).ToArray();
        var y = Run(ActivationKind.Gelu, x);
        for (int i = 0; i < x.Length; i++)
        {
            double want = 0.5 * x[i] * (1 + CnnReference.Erf(x[i] / Math.Sqrt(2)));
            Assert.True(Math.Abs(y[i] - want) <= 2e-7 + 4e-7 * Math.Abs(want), $"gelu({x[i]:R}) = {y[i]:R}, want {want:R}");
        }
    }
}
