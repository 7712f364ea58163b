// Plain scalar convolution on the host: the tuner's reference, so a candidate is judged against an answer that
// shares no code with the kernel it tunes.
using GpuSearch.Models.Ops;

namespace GpuSearch.Models.Tuning;

internal static class ConvReference
{
    /// <summary>y = relu(conv(x, w) + bias), NCHW, double accumulation.</summary>
    public static float[] Run(Conv2dShape s, float[] x, float[] w, float[] bias)
    {
        int oh = s.OutHeight, ow = s.OutWidth, cg = s.InChannels / s.Group, mg = s.OutChannels / s.Group;
        var y = new float[s.OutputCount];
        Parallel.For(0, s.Batch * s.OutChannels, nm =>
        {
            int n = nm / s.OutChannels, m = nm % s.OutChannels, g = m / mg;
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                {
                    double acc = bias[m];
                    for (int c = 0; c < cg; c++)
                        for (int kh = 0; kh < s.KernelH; kh++)
                        {
                            int iy = oy * s.StrideH - s.PadTop + kh * s.DilationH;
                            if (iy < 0 || iy >= s.Height) continue;
                            for (int kw = 0; kw < s.KernelW; kw++)
                            {
                                int ix = ox * s.StrideW - s.PadLeft + kw * s.DilationW;
                                if (ix < 0 || ix >= s.Width) continue;
                                acc += (double)x[(((long)n * s.InChannels + g * cg + c) * s.Height + iy) * s.Width + ix]
                                    * w[(((long)m * cg + c) * s.KernelH + kh) * s.KernelW + kw];
                            }
                        }
                    y[(((long)n * s.OutChannels + m) * oh + oy) * ow + ox] = (float)Math.Max(acc, 0.0);
                }
        });
        return y;
    }
}
