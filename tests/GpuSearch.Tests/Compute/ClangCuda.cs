// Runs clang-14 in CUDA device-only syntax-check mode over an expanded kernel, so CI without a GPU
// or a CUDA toolkit still proves that every kernel's CUDA expansion (through cuda_prelude.h) parses.
// NVRTC itself is not available here; CudaDialect/nvrtc_env.h stands in for what NVRTC pre-includes.
using System.Diagnostics;
using System.Text.RegularExpressions;
using GpuSearch.Compute;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Compute;

/// <summary>Result of one clang syntax check.</summary>
internal sealed record ClangCheckResult(int ExitCode, string Output, IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings)
{
    public bool Clean => ExitCode == 0 && Errors.Count == 0;
}

/// <summary>Locates clang-14 and the NVRTC stand-in header, and checks kernel sources.</summary>
internal static partial class ClangCuda
{
    /// <summary>
    /// clang-14 accepts CUDA architectures up to sm_86 (sm_90 needs clang 16); the dialect questions
    /// the check answers (macros, types, execution spaces) do not depend on the architecture.
    /// </summary>
    public const string GpuArch = "sm_86";

    private static readonly Lazy<string?> ClangPath = new(FindClang);

    /// <summary>The stand-in header in the source tree (tests read it from the repository).</summary>
    public static string EnvHeader => Path.Combine(SharedData.RepoRoot, "tests", "GpuSearch.Tests", "Compute", "CudaDialect", "nvrtc_env.h");

    /// <summary>Folder holding test-only kernel sources.</summary>
    public static string DialectFolder => Path.GetDirectoryName(EnvHeader)!;

    /// <summary>Why the check cannot run here, or null when it can.</summary>
    public static string? SkipReason =>
        ClangPath.Value is null
            ? "clang-14 is not installed (looked for /usr/bin/clang-14 and clang-14 on PATH; Debian package clang-14, installed by scripts/setup.sh)"
            : !File.Exists(EnvHeader)
                ? $"the NVRTC stand-in header {EnvHeader} is absent (tests are not running from a source checkout)"
                : null;

    private static string? FindClang()
    {
        var candidates = new List<string> { "/usr/bin/clang-14", "/usr/lib/llvm-14/bin/clang" };
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            candidates.Add(Path.Combine(dir, "clang-14"));
        return candidates.FirstOrDefault(File.Exists);
    }

    [GeneratedRegex(@"^(?<loc>[^\s:][^:]*:\d+:\d+): (?<kind>error|fatal error|warning): (?<msg>.*)$", RegexOptions.Multiline)]
    private static partial Regex Diagnostic();

    /// <summary>
    /// The architecture of the tensor-core checks: mma.sync.m16n8k16 with fp16 inputs needs sm_80, and the
    /// kernels refuse TC=1 below it (__CUDA_ARCH__ &lt; 800).
    /// </summary>
    public const string TensorCoreArch = "sm_80";

    /// <summary>Writes the expanded source to a temporary .cu and syntax-checks it as CUDA device code.</summary>
    public static ClangCheckResult Check(KernelSource source) => Run(source, GpuArch, emitPtx: false).Result;

    /// <summary>
    /// Compiles the expanded source to PTX for <paramref name="arch"/> (-O2, device only). Inline PTX passes
    /// through verbatim, so the PTX shows which kernel bodies the preprocessor kept; its constraints and operand
    /// types are checked by clang's code generator. Ptx is null when compilation failed.
    /// </summary>
    public static (ClangCheckResult Result, string? Ptx) CompileToPtx(KernelSource source, string arch) => Run(source, arch, emitPtx: true);

    private static (ClangCheckResult Result, string? Ptx) Run(KernelSource source, string arch, bool emitPtx)
    {
        var clang = ClangPath.Value ?? throw new InvalidOperationException(SkipReason);
        var dir = Path.Combine(Path.GetTempPath(), "gpusearch-cuda-dialect-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var file = Path.Combine(dir, Path.GetFileNameWithoutExtension(source.FileName) + ".cu");
            File.WriteAllText(file, source.Text);
            var psi = new ProcessStartInfo(clang)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = dir,
            };
            foreach (var a in new[]
                     {
                         "-x", "cuda", "--cuda-gpu-arch=" + arch, "--cuda-device-only",
                         // No CUDA installation: no SDK headers, no libdevice; nvrtc_env.h supplies the rest.
                         "-nocudainc", "-nocudalib", "-std=c++17",
                         "-Wall", "-Wno-unused-variable", "-Wno-unused-function", "-fno-caret-diagnostics",
                         "-ferror-limit=100",
                         "-include", "__clang_cuda_builtin_vars.h", "-include", EnvHeader, file,
                     })
                psi.ArgumentList.Add(a);
            var ptxFile = Path.Combine(dir, "out.ptx");
            foreach (var a in emitPtx ? new[] { "-S", "-O2", "-o", ptxFile } : new[] { "-fsyntax-only" })
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {clang}");
            var stderr = p.StandardError.ReadToEndAsync();
            var stdout = p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
            {
                p.Kill(entireProcessTree: true);
                throw new TimeoutException($"{clang} did not finish checking {source.FileName} within 2 minutes");
            }
            var output = (stdout + stderr.Result).Trim();
            var errors = new List<string>();
            var warnings = new List<string>();
            foreach (Match m in Diagnostic().Matches(output))
                (m.Groups["kind"].Value == "warning" ? warnings : errors).Add(m.Value.Trim());
            var result = new ClangCheckResult(p.ExitCode, output, errors, warnings);
            return (result, emitPtx && result.Clean && File.Exists(ptxFile) ? File.ReadAllText(ptxFile) : null);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}

/// <summary>A fact that skips, saying why, where clang-14 or the stand-in header is missing.</summary>
public sealed class ClangCudaFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when the check cannot run.</summary>
    public ClangCudaFactAttribute()
    {
        if (ClangCuda.SkipReason is { } why) Skip = why;
    }
}
