// The CUDA-dialect check: every embedded .cl kernel, expanded exactly as the CUDA backend hands it
// to NVRTC, must pass clang-14's CUDA device-only syntax check with zero errors. It iterates
// whatever kernels/ holds at build time, so kernels added later are covered without edits here.
using GpuSearch.Compute;
using Xunit.Abstractions;

namespace GpuSearch.Tests.Compute;

[Trait("Backend", "CUDA")]
public sealed class CudaDialectTests(ITestOutputHelper output)
{
    [ClangCudaFact]
    public void EveryEmbeddedKernelPassesTheCudaSyntaxCheck()
    {
        var kernels = KernelSource.EmbeddedFiles.Where(f => f.EndsWith(".cl", StringComparison.Ordinal)).ToArray();
        output.WriteLine($"{kernels.Length} embedded kernel file(s); clang-14 -x cuda --cuda-gpu-arch={ClangCuda.GpuArch} --cuda-device-only -fsyntax-only");
        var failures = new List<string>();
        foreach (var file in kernels)
        {
            KernelSource source;
            try { source = KernelSource.Load(file, KernelDefines.Empty, ComputeBackend.Cuda); }
            catch (Exception e) when (e is FileNotFoundException or InvalidOperationException)
            {
                // A missing #include or include cycle fails this kernel, not the whole sweep.
                output.WriteLine($"  {file}: cannot expand: {e.Message}");
                failures.Add($"{file}: cannot expand: {e.Message}");
                continue;
            }
            var result = ClangCuda.Check(source);
            output.WriteLine($"  {file}: {result.Errors.Count} error(s), {result.Warnings.Count} warning(s)");
            foreach (var w in result.Warnings) output.WriteLine($"    {w}");
            if (!result.Clean)
            {
                foreach (var e in result.Errors) output.WriteLine($"    {e}");
                failures.Add($"{file} (exit {result.ExitCode}):\n{result.Output}");
            }
        }
        Assert.True(failures.Count == 0, "CUDA expansion failed the clang syntax check:\n" + string.Join("\n\n", failures));
    }

    [ClangCudaFact]
    public void PreludeCoverageKernelPassesTheCudaSyntaxCheck()
    {
        // Touches every name the prelude maps, so the prelude is checked even when no kernel uses a name yet.
        var path = Path.Combine(ClangCuda.DialectFolder, "prelude_coverage.cl");
        var source = KernelSource.FromText("prelude_coverage.cl", File.ReadAllText(path), KernelDefines.Empty, ComputeBackend.Cuda);
        var result = ClangCuda.Check(source);
        output.WriteLine($"prelude_coverage.cl: {result.Errors.Count} error(s), {result.Warnings.Count} warning(s)");
        foreach (var w in result.Warnings) output.WriteLine($"  {w}");
        Assert.True(result.Clean, result.Output);
    }

    [ClangCudaFact]
    public void CheckCatchesOpenClOnlyCodeAndNamesTheOriginalFileAndLine()
    {
        // The check must not be vacuous: OpenCL vector literals and an unmapped built-in are not CUDA.
        const string text = "#include \"common.h\"\n" +
                            "__kernel void bad(__global float* out)\n" +
                            "{\n" +
                            "    float4 v = (float4)(1.0f);\n" +
                            "    out[get_work_dim()] = v.x;\n" +
                            "}\n";
        var result = ClangCuda.Check(KernelSource.FromText("dialect_bad.cl", text, KernelDefines.Empty, ComputeBackend.Cuda));
        output.WriteLine(result.Output);
        Assert.False(result.Clean);
        Assert.Contains(result.Errors, e => e.StartsWith("dialect_bad.cl:4:", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.StartsWith("dialect_bad.cl:5:", StringComparison.Ordinal));
    }

    [ClangCudaFact]
    public void DefinesArePrependedBeforeThePrelude()
    {
        var defines = new KernelDefines().Set("TILE", 32).Set("DTYPE", 1);
        const string text = "#include \"common.h\"\n" +
                            "__kernel void tiled(__global half* out) { __local float t[TILE]; t[LID0] = 1.0f;\n" +
                            "  barrier(CLK_LOCAL_MEM_FENCE);\n" +
                            "#if DTYPE == DTYPE_F16\n  store_f16(out, GID0, t[LID0]);\n#endif\n}\n";
        var result = ClangCuda.Check(KernelSource.FromText("defines.cl", text, defines, ComputeBackend.Cuda));
        Assert.True(result.Clean, result.Output);
    }
}
