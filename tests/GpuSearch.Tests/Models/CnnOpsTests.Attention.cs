// Kernel cases of kernels/attention.cl (FusedAttention) against a double-precision softmax(scale·A·B)·V:
// several key tiles (S > 64), an inner dimension and value width over one tile (local row, two accumulators),
// a single query row, operands shared across the batch, and the two kernel forms: by device (on a CPU the one-work-item
// attention_cpu.cl, whose tiles are 6 query rows × 64 keys or value columns, with 16-wide tails) and the work-group sdpa ("wg").
using GpuSearch.Compute;
using GpuSearch.Models.Ops;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Models;

public sealed partial class CnnOpsTests
{
    // "attention BATCH L S D DV shared [kt]": shared = which operands have one matrix for the batch ("-" none);
    // kt = B is given as K [S, D] (read with strides), not as Kᵀ [D, S]; wg = the work-group kernel on any device.
    private static IEnumerable<string> AttentionCases() =>
        ["attention 3 5 7 4 6 -", "attention 2 9 150 16 16 -", "attention 2 3 70 130 70 -", "attention 4 1 65 8 129 -", "attention 3 6 10 5 7 bv", "attention 2 4 8 3 5 a",
         "attention 2 9 150 16 16 - kt", "attention 3 6 10 5 7 bv kt", "attention 2 197 197 64 64 - kt", "attention 5 49 49 32 32 - kt",
         "attention 2 9 150 16 16 - wg", "attention 2 3 70 130 70 - wg", "attention 3 6 10 5 7 bv kt wg"];

    private static void RunAttention(ComputeDevice d, string name)
    {
        var p = name.Split(' ');
        int batch = int.Parse(p[1]), l = int.Parse(p[2]), s = int.Parse(p[3]), k = int.Parse(p[4]), dv = int.Parse(p[5]);
        bool aS = p[6].Contains('a'), bS = p[6].Contains('b'), vS = p[6].Contains('v'), kt = p.Contains("kt");
        bool? cpuForm = p.Contains("wg") ? false : null;
        int seed = Seed(name);
        const float scale = 0.37f;
        // Scores of a few units, so the softmax is neither flat nor one-hot.
        var a = Random(seed, (aS ? 1 : batch) * l * k, -2f, 2f);
        var b = Random(seed + 1, (bS ? 1 : batch) * k * s, -2f, 2f);
        var v = Random(seed + 2, (vS ? 1 : batch) * s * dv);
        using var ab = Upload(d, a);
        using var bb = Upload(d, b);
        using var vb = Upload(d, v);
        using var y = new GuardedBuffer(d, batch * l * dv);
        Attention.Run(d.Stream, batch, l, s, k, dv, scale, DeviceTensor.Flat(ab, 0, a.Length), aS, DeviceTensor.Flat(bb, 0, b.Length), bS ? 0 : (long)k * s, kt ? 1 : s, kt ? k : 1,
            DeviceTensor.Flat(vb, 0, v.Length), vS, DeviceTensor.Flat(y.Buffer, y.Offset, batch * l * dv), cpuForm);
        var want = new double[batch * l * dv];
        var w = new double[s];
        for (int t = 0; t < batch; t++)
            for (int i = 0; i < l; i++)
            {
                double max = double.NegativeInfinity, sum = 0;
                for (int j = 0; j < s; j++)
                {
                    double acc = 0;
                    for (int q = 0; q < k; q++) acc += (double)a[(aS ? 0 : t * l * k) + i * k + q] * b[(bS ? 0 : t * k * s) + (kt ? j * k + q : q * s + j)];
                    w[j] = scale * acc;
                    max = Math.Max(max, w[j]);
                }
                for (int j = 0; j < s; j++) sum += w[j] = Math.Exp(w[j] - max);
                for (int c = 0; c < dv; c++)
                {
                    double acc = 0;
                    for (int j = 0; j < s; j++) acc += w[j] * v[(vS ? 0 : t * s * dv) + j * dv + c];
                    want[(t * l + i) * dv + c] = acc / sum;
                }
            }
        // Outputs are weighted means of V in [-1, 1]; fp32 scores over D = 130 terms of up to ±4 carry ~1e-6 error.
        AssertClose(want, y.DownloadPayload<float>(d.Stream), 1e-5, 1e-5, name);
    }
}
