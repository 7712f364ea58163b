// ONNX Runtime session options shared by the benchmarks that interleave ORT with the engine in one process.
using Ort = Microsoft.ML.OnnxRuntime;

namespace GpuSearch.Bench;

internal static class OrtOptions
{
    /// <summary>
    /// ORT's CPU options for an interleaved run: <paramref name="threads"/> intra-op threads (0 = ORT's default), spinning
    /// inside Run as ORT does by default, and the spin stopped when Run returns (<c>session.force_spinning_stop</c>).
    /// Without the stop its idle workers kept spinning through the next contender's run: measured on a 2-vCPU Zen 5,
    /// MobileNetV2 at batch 8 ran 1.4-1.8× slower beside a spinning ORT than beside a stopped one (CPU-s per image
    /// 0.0125 vs 0.0074, ORT's threads' spin counted in), while ORT's own runs did not slow down.
    /// <paramref name="keepSpinning"/> restores ORT's default for comparison with rows measured before 2026-12-03.
    /// </summary>
    public static Ort.SessionOptions Create(int threads, bool keepSpinning = false)
    {
        var o = new Ort.SessionOptions { IntraOpNumThreads = threads };
        if (!keepSpinning) o.AddSessionConfigEntry("session.force_spinning_stop", "1");
        return o;
    }
}
