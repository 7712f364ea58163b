// `gpusearch smoke [--device D] [--json]`: compiles and runs the foundation kernels on a device,
// checks a sample of results against the CPU and reports timings — a quick "does this device work".
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using GpuSearch.Compute;
using GpuSearch.Compute.Ops;
using GpuSearch.Models.Ops;

namespace GpuSearch.Cli.Commands;

internal static class SmokeCommand
{
    public static Command Create()
    {
        var device = new Option<string>("--device") { Description = "Device: auto, cpu, cuda:N, opencl:N", DefaultValueFactory = _ => "auto" };
        var size = new Option<int>("--size") { Description = "GEMM size n for an n×n×n product", DefaultValueFactory = _ => 512 };
        var json = new Option<bool>("--json") { Description = "Write machine-readable JSON to stdout" };
        var cmd = new Command("smoke", "Compile and run the foundation kernels on a device and check them against the CPU") { device, size, json };
        cmd.SetAction(r => Run(r.GetValue(device)!, r.GetValue(size), r.GetValue(json), Console.Out));
        return cmd;
    }

    public static int Run(string selection, int n, bool json, TextWriter output)
    {
        if (n is < 1 or > 8192) throw new ArgumentException($"--size must be between 1 and 8192 (got {n})");
        using var dev = DeviceRegistry.Default.Open(selection);
        var s = dev.Stream;
        var rng = new Random(42);
        var a = new float[n * n];
        var b = new float[n * n];
        for (int i = 0; i < a.Length; i++) { a[i] = (float)rng.NextDouble() - 0.5f; b[i] = (float)rng.NextDouble() - 0.5f; }
        using var da = dev.Allocate(a.Length * 4L);
        using var db = dev.Allocate(b.Length * 4L);
        using var dc = dev.Allocate(a.Length * 4L);
        s.Upload<float>(da, a);
        s.Upload<float>(db, b);

        var compile = Stopwatch.StartNew();
        Gemm.Run(s, n, n, n, da, db, dc); // first run includes compilation (or a disk-cache load)
        Broadcast.Unary(s, Activation.Relu, DeviceTensor.Flat(dc, 0, (long)n * n), DeviceTensor.Flat(dc, 0, (long)n * n));
        s.Synchronize();
        compile.Stop();

        const int reps = 3;
        using var t0 = s.Record();
        for (int i = 0; i < reps; i++) Gemm.Run(s, n, n, n, da, db, dc);
        using var t1 = s.Record();
        var gemmMs = t1.ElapsedSince(t0) / reps;
        var c = s.Download<float>(dc);

        // Check a sample of entries against the CPU in double precision.
        double maxErr = 0;
        for (int t = 0; t < 64; t++)
        {
            int i = rng.Next(n), j = rng.Next(n);
            double acc = 0;
            for (int k = 0; k < n; k++) acc += (double)a[i * n + k] * b[k * n + j];
            maxErr = Math.Max(maxErr, Math.Abs(acc - c[i * n + j]));
        }
        var ok = maxErr < 1e-4 * Math.Sqrt(n);
        var gflops = 2.0 * n * n * n / (gemmMs * 1e6);
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new
            {
                device = dev.Info.Id, name = dev.Info.Name, gemm_n = n, compile_and_first_run_ms = compile.Elapsed.TotalMilliseconds,
                gemm_ms = gemmMs, gemm_gflops = gflops, max_abs_error = maxErr, ok,
            }, new JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            output.WriteLine($"device   {dev.Info.Id} ({dev.Info.Name})");
            output.WriteLine($"compile  {compile.Elapsed.TotalMilliseconds:F0} ms (gemm.cl + broadcast.cl, first run; cached on disk afterwards)");
            output.WriteLine($"gemm     {n}×{n}×{n}: {gemmMs:F2} ms, {gflops:F1} GFLOP/s");
            output.WriteLine($"check    max |error| vs CPU on 64 samples: {maxErr:G3} → {(ok ? "OK" : "MISMATCH")}");
        }
        return ok ? ExitCodes.Ok : ExitCodes.Failed;
    }
}
