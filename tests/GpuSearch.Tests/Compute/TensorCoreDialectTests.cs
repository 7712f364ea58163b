// The opt-in tensor-core variants (TC=1: gemm.cl, attention.cl, scan_topk.cl through scan_tc.h) are not part of
// the default expansion the dialect sweep checks, and no GPU is at hand in CI, so each is compiled here by
// clang-14 to PTX for sm_80 with the defines the host passes: clang accepts the inline PTX's operand constraints
// and types, the entry point exists, and its body holds the mma.sync.m16n8k16 instructions (the preprocessor kept
// the tensor-core path). Below sm_80 the kernels must refuse to build. What no compiler here can check, the
// fragment layouts and the results, the CUDA parity tests (TensorCoreParityTests) check on a GPU.
using System.Text.RegularExpressions;
using GpuSearch.Compute;
using Xunit.Abstractions;

namespace GpuSearch.Tests.Compute;

[Trait("Backend", "CUDA")]
public sealed class TensorCoreDialectTests(ITestOutputHelper output)
{
    private const string Mma = "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32";

    // file, entry, defines (as the launchers in Gemm.cs, Attention.cs and ScanKernels.cs set them), mma per entry
    // at least (loops may stay rolled at -O2; one is enough to show the path is compiled).
    public static TheoryData<string, string, string> Variants() => new()
    {
        { "gemm.cl", "gemm_f32_tc", "TC=1 TRANS_A=0 TRANS_B=0" },
        { "gemm.cl", "gemm_f32_tc", "TC=1 TRANS_A=1 TRANS_B=1" },
        { "gemm.cl", "product_tc", "TC=1 ACT=8 HAS_RES=1" },
        { "gemm.cl", "product_tc", "TC=1 ACT=0 HAS_RES=0" },
        { "attention.cl", "sdpa_tc", "TC=1 MAX_D=64 DV_TILES=8" },
        { "attention.cl", "sdpa_tc", "TC=1 MAX_D=128 DV_TILES=16" },
        { "attention.cl", "sdpa_tc", "TC=1 MAX_D=16 DV_TILES=1" },
        { "scan_topk.cl", "scan_topk", "TC=1 ROWS=64 QT=16 RPW=1 KF=32 DTYPE=1" },
        { "scan_topk.cl", "scan_topk", "TC=1 ROWS=64 QT=64 RPW=1 KF=256 DTYPE=1" },
        { "scan_topk.cl", "scan_scores", "TC=1 ROWS=64 QT=32 RPW=1 KF=32 DTYPE=1" },
    };

    private static KernelDefines Parse(string defines)
    {
        var d = new KernelDefines();
        foreach (var kv in defines.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var p = kv.Split('=');
            d.Set(p[0], int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture));
        }
        return d;
    }

    /// <summary>The PTX text of one .entry: from its header to the next .entry (or the end).</summary>
    private static string? EntryBody(string ptx, string entry)
    {
        var m = Regex.Match(ptx, @"\.entry\s+" + Regex.Escape(entry) + @"\s*\(");
        if (!m.Success) return null;
        var next = ptx.IndexOf(".entry", m.Index + m.Length, StringComparison.Ordinal);
        return next < 0 ? ptx[m.Index..] : ptx[m.Index..next];
    }

    /// <summary>Device functions the entry may call (clang keeps non-inlined helpers as .func).</summary>
    private static string Functions(string ptx) => string.Join("\n", Regex.Matches(ptx, @"\.func[^{]*\{.*?\n\}", RegexOptions.Singleline).Select(m => m.Value));

    [ClangCudaTheory]
    [MemberData(nameof(Variants))]
    public void TensorCoreVariantCompilesToMmaForSm80(string file, string entry, string defines)
    {
        var source = KernelSource.Load(file, Parse(defines), ComputeBackend.Cuda);
        var (result, ptx) = ClangCuda.CompileToPtx(source, ClangCuda.TensorCoreArch);
        foreach (var w in result.Warnings) output.WriteLine(w);
        Assert.True(result.Clean, result.Output);
        Assert.NotNull(ptx);
        var body = EntryBody(ptx!, entry);
        Assert.True(body is not null, $"{file} with {defines}: no .entry {entry} in the PTX");
        // The mma sits in the entry itself or in a helper it calls.
        int inEntry = Regex.Matches(body!, Regex.Escape(Mma)).Count, inFuncs = Regex.Matches(Functions(ptx!), Regex.Escape(Mma)).Count;
        output.WriteLine($"{file} {entry} [{defines}]: {inEntry} mma.sync in the entry, {inFuncs} in .func helpers; {ptx!.Length} PTX chars");
        Assert.True(inEntry + inFuncs > 0, $"{entry} has no {Mma}: the tensor-core path was not compiled");
    }

    [ClangCudaFact]
    public void PortableExpansionHasNoTensorCoreInstructions()
    {
        // Without TC the CUDA kernels are the portable ones: not one mma (the default never uses tensor cores).
        foreach (var file in new[] { "gemm.cl", "attention.cl", "scan_topk.cl" })
        {
            var defines = file == "scan_topk.cl" ? Parse("DTYPE=1") : KernelDefines.Empty;
            var (result, ptx) = ClangCuda.CompileToPtx(KernelSource.Load(file, defines, ComputeBackend.Cuda), ClangCuda.TensorCoreArch);
            Assert.True(result.Clean, result.Output);
            Assert.DoesNotContain("mma.sync", ptx!, StringComparison.Ordinal);
        }
    }

    [ClangCudaFact]
    public void TensorCoreVariantRefusesArchitecturesBelowSm80()
    {
        var source = KernelSource.Load("gemm.cl", Parse("TC=1"), ComputeBackend.Cuda);
        var (result, _) = ClangCuda.CompileToPtx(source, "sm_75");
        output.WriteLine(result.Output);
        Assert.False(result.Clean);
        Assert.Contains(result.Errors, e => e.Contains("compute capability 8.0", StringComparison.Ordinal));
    }

    [ClangCudaFact]
    public void TensorCoreScanRefusesShapesItDoesNotCover()
    {
        // The host only sets TC for fp16 storage, RPW 1 and whole 16-query tiles; anything else is a build error,
        // not a silently wrong kernel.
        var source = KernelSource.Load("scan_topk.cl", Parse("TC=1 ROWS=64 QT=4 RPW=1 KF=32 DTYPE=1"), ComputeBackend.Cuda);
        var (result, _) = ClangCuda.CompileToPtx(source, ClangCuda.TensorCoreArch);
        Assert.False(result.Clean);
        Assert.Contains(result.Errors, e => e.Contains("tensor-core scan needs", StringComparison.Ordinal));
    }
}

/// <summary>A theory that skips, saying why, where clang-14 or the stand-in header is missing.</summary>
public sealed class ClangCudaTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when the check cannot run.</summary>
    public ClangCudaTheoryAttribute()
    {
        if (ClangCuda.SkipReason is { } why) Skip = why;
    }
}
