// `gpusearch-bench whiten`: the cost of learning a PCA-whitening, split into its two parts, each against the way it
// was done before in the same run: the covariance as a device GEMM vs the host double loop, and the Householder +
// implicit-QL eigensolver vs cyclic Jacobi rotations (the baseline, Search/JacobiEigen; --no-jacobi skips it, it takes minutes
// at 512-d). Synthetic vectors with a decaying spectrum stand in for an index's embeddings.
using System.Diagnostics;
using GpuSearch.Compute;
using GpuSearch.Search;

namespace GpuSearch.Bench;

internal static class WhitenBench
{
    public static int Run(string[] args)
    {
        var a = BenchArgs.Parse(args);
        int n = a.Int("--n", 2000), d = a.Int("--d", 512);
        using var device = DeviceRegistry.Default.Open(a.Str("--device", "auto"));
        var rng = new Random(7);
        var x = new float[n * d];
        var mix = new float[d * 8];
        for (int i = 0; i < mix.Length; i++) mix[i] = (float)(rng.NextDouble() - 0.5);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
                x[i * d + j] = (float)(Math.Pow(0.99, j) * (rng.NextDouble() - 0.5) + mix[j * 8 + i % 8] + 0.01 * j);
        Console.WriteLine($"whiten: {n} × {d} vectors on {device.Info.Id} ({device.Info.Name})");

        var sw = Stopwatch.StartNew();
        var (_, host) = PcaWhitening.HostCovariance(x, d, n);
        double hostS = sw.Elapsed.TotalSeconds;
        DeviceCovariance.Compute(device, x.AsSpan(0, Math.Min(n, 64) * d), d); // kernel compile / cache load, not timed
        sw.Restart();
        var (_, dev) = DeviceCovariance.Compute(device, x, d);
        double devS = sw.Elapsed.TotalSeconds;
        double worst = 0, largest = 0;
        for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) { worst = Math.Max(worst, Math.Abs(host[i, j] - dev[i, j])); largest = Math.Max(largest, Math.Abs(host[i, j])); }
        Console.WriteLine($"covariance: host double {hostS:F2} s, device GEMM {devS:F2} s ({hostS / devS:F1}×), max |diff| {worst / largest:E1} of the largest entry");

        sw.Restart();
        var (values, _) = SymmetricEigen.Decompose(host);
        double qlS = sw.Elapsed.TotalSeconds;
        Console.Write($"eigen: Householder + QL {qlS:F2} s");
        if (!a.Flag("--no-jacobi"))
        {
            sw.Restart();
            var jacobi = JacobiEigen.Decompose(host).Values;
            double jS = sw.Elapsed.TotalSeconds;
            var gap = values.Order().Zip(jacobi.Order(), (p, q) => Math.Abs(p - q)).Max() / values.Max(Math.Abs);
            Console.Write($", cyclic Jacobi {jS:F1} s ({jS / qlS:F0}×); eigenvalues agree to {gap:E1} relative");
        }
        Console.WriteLine();
        return 0;
    }
}
