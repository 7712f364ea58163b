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

    /// <summary>Why the fakes cannot be used here, or null. Cheap: test discovery evaluates it.</summary>
    public static string? SkipReason =>
        !OperatingSystem.IsLinux() ? "the fake driver is a Linux shared library" :
        ClangCuda.SkipReason is { } why ? why :
        !File.Exists(Path.Combine(SourceFolder, "fake_cuda.c")) ? $"{SourceFolder} is absent (tests are not running from a source checkout)" :
        null;

    private static string SourceFolder => Path.GetFullPath(Path.Combine(ClangCuda.DialectFolder, "..", "FakeCuda"));

    /// <summary>
    /// Builds both fakes (once per process) into a folder named by the sources' hash, so repeated
    /// runs reuse the libraries instead of leaving a new folder behind each time.
    /// </summary>
    private static (string? Cuda, string? Nvrtc, string? Why) Build()
    {
        var sources = new[] { "fake_cuda.c", "fake_nvrtc.c" }.Select(c => Path.Combine(SourceFolder, c)).ToArray();
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(string.Concat(sources.Select(File.ReadAllText)))))[..16];
        var dir = Path.Combine(Path.GetTempPath(), "gpusearch-fakecuda-" + hash);
        Directory.CreateDirectory(dir);
        var libs = new[] { Path.Combine(dir, "libfakecuda.so"), Path.Combine(dir, "libfakenvrtc.so") };
        for (int i = 0; i < 2; i++)
        {
            if (File.Exists(libs[i])) continue;
            var tmp = $"{libs[i]}.{Environment.ProcessId}.tmp"; // another test process may build at the same time
            var psi = new ProcessStartInfo("/usr/bin/clang-14") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in new[] { "-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-o", tmp, sources[i], "-lpthread" })
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            var outText = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) return (null, null, $"building {sources[i]} failed: {outText}{err.Result}");
            File.Move(tmp, libs[i], overwrite: true);
        }
        return (libs[0], libs[1], null);
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
        var (cuda, nvrtc, why) = Built.Value;
        if (why is not null) throw new InvalidOperationException(why); // clang-14 is present, so this is a real failure
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
