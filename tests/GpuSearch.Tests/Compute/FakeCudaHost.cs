// Builds the fake CUDA driver and fake NVRTC (FakeCuda/*.c) with clang-14 and runs scenarios
// against them inside an isolated AssemblyLoadContext: the library's probes and backend singleton
// are static, so a fresh load context gives them a first use that sees the fakes, while the rest of
// the test process keeps the real (absent) driver.
using System.Diagnostics;
using System.Reflection;
using System.Runtime.Loader;

namespace GpuSearch.Tests.Compute;

internal static class FakeCudaHost
{
    private static readonly Lazy<(string? Cuda, string? Nvrtc, string? Why)> Built = new(Build);
    private static readonly Lazy<Assembly> IsolatedTests = new(LoadIsolated);

    /// <summary>Why the fakes cannot be used here, or null.</summary>
    public static string? SkipReason =>
        !OperatingSystem.IsLinux() ? "the fake driver is a Linux shared library" :
        ClangCuda.SkipReason is { } why ? why :
        Built.Value.Why;

    private static (string?, string?, string?) Build()
    {
        var src = Path.Combine(ClangCuda.DialectFolder, "..", "FakeCuda");
        var dir = Path.Combine(Path.GetTempPath(), "gpusearch-fakecuda-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        var cuda = Path.Combine(dir, "libfakecuda.so");
        var nvrtc = Path.Combine(dir, "libfakenvrtc.so");
        foreach (var (c, so) in new[] { ("fake_cuda.c", cuda), ("fake_nvrtc.c", nvrtc) })
        {
            var psi = new ProcessStartInfo("/usr/bin/clang-14") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in new[] { "-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-o", so, Path.Combine(src, c), "-lpthread" })
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEnd() + p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) return (null, null, $"building {c} failed: {err}");
        }
        return (cuda, nvrtc, null);
    }

    /// <summary>A load context with its own copy of the library and of this test assembly.</summary>
    private sealed class IsolatedContext(string dir) : AssemblyLoadContext("gpusearch-fake-cuda")
    {
        protected override Assembly? Load(AssemblyName name) =>
            name.Name is "GpuSearchEngine" or "GpuSearch.Tests" ? LoadFromAssemblyPath(Path.Combine(dir, name.Name + ".dll")) : null;
    }

    private static Assembly LoadIsolated()
    {
        var dir = Path.GetDirectoryName(typeof(FakeCudaHost).Assembly.Location)!;
        var ctx = new IsolatedContext(dir);
        var tests = ctx.LoadFromAssemblyName(new AssemblyName("GpuSearch.Tests"));
        // Point the isolated copy's probes at the fakes before anything in it touches CUDA.
        var (cuda, nvrtc, _) = Built.Value;
        tests.GetType(typeof(FakeCudaScenarios).FullName!, throwOnError: true)!
            .GetMethod(nameof(FakeCudaScenarios.Configure))!.Invoke(null, [cuda, nvrtc]);
        return tests;
    }

    /// <summary>Runs one scenario of <see cref="FakeCudaScenarios"/> in the isolated context.</summary>
    public static void Run(string scenario, Action<string> log)
    {
        var method = IsolatedTests.Value.GetType(typeof(FakeCudaScenarios).FullName!, throwOnError: true)!.GetMethod(scenario)
                     ?? throw new MissingMethodException(nameof(FakeCudaScenarios), scenario);
        try
        {
            method.Invoke(null, [log]);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
        }
    }
}
