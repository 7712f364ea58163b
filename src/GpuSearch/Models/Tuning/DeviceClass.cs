// Device classes that share tuned defaults: the cold-start key of TuningDefaults. A CPU's class is its vector
// ISA (PoCL names its LLVM target in the device name; /proc/cpuinfo says what the host actually has), an
// NVIDIA GPU's class its compute capability (the CUDA backend puts sm_XY in the driver string).
using System.Text.RegularExpressions;
using GpuSearch.Compute;

namespace GpuSearch.Models.Tuning;

/// <summary>A family of devices that share shipped tuning defaults.</summary>
internal enum DeviceClass
{
    /// <summary>CPU with AVX-512 (32 vector registers of 16 floats).</summary>
    CpuAvx512,
    /// <summary>CPU with AVX2 and FMA but no AVX-512 (16 vector registers of 8 floats).</summary>
    CpuAvx2,
    /// <summary>Any other CPU (SSE only, ARM, unknown).</summary>
    CpuOther,
    /// <summary>NVIDIA Ampere (sm_80–sm_87).</summary>
    NvidiaSm80,
    /// <summary>NVIDIA Hopper and newer (sm_90+).</summary>
    NvidiaSm90,
    /// <summary>Any other GPU (older NVIDIA, AMD, Intel).</summary>
    GpuOther,
}

/// <summary>Maps a device to its <see cref="DeviceClass"/> and names a CPU's vector ISA.</summary>
internal static partial class DeviceClassifier
{
    private static readonly Lazy<string> HostIsa = new(() => IsaFromCpuFlags(ReadCpuFlags()));

    /// <summary>The vector ISA of this machine's CPU from /proc/cpuinfo: "AVX-512", "AVX2" or "other".</summary>
    public static string HostCpuIsa => HostIsa.Value;

    /// <summary>The CPU model name from /proc/cpuinfo, or "unknown".</summary>
    public static string HostCpuModel
    {
        get
        {
            try
            {
                var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
                return line is null ? "unknown" : line[(line.IndexOf(':') + 1)..].Trim();
            }
            catch (IOException) { return "unknown"; }
            catch (UnauthorizedAccessException) { return "unknown"; }
        }
    }

    /// <summary>The class of a device.</summary>
    public static DeviceClass Classify(DeviceInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (info.IsCpu) return ClassifyCpu(info.Name, HostCpuIsa);
        var sm = SmPattern().Match(info.DriverVersion);
        if (sm.Success && int.TryParse(sm.Groups[1].Value, out var cc))
            return cc >= 90 ? DeviceClass.NvidiaSm90 : cc >= 80 ? DeviceClass.NvidiaSm80 : DeviceClass.GpuOther;
        return DeviceClass.GpuOther;
    }

    /// <summary>
    /// A CPU device's class: the lower of what PoCL compiled for (its device name names the LLVM target, e.g.
    /// <c>pthread-haswell</c>, <c>pthread-skylake-avx512</c>) and what the host's flags say, so a PoCL built for
    /// AVX2 on an AVX-512 host is tuned as AVX2 — the code it emits only has 16 registers.
    /// </summary>
    public static DeviceClass ClassifyCpu(string deviceName, string hostIsa)
    {
        var name = deviceName.ToLowerInvariant();
        bool nameAvx512 = name.Contains("avx512", StringComparison.Ordinal) || name.Contains("znver4", StringComparison.Ordinal)
            || name.Contains("sapphirerapids", StringComparison.Ordinal) || name.Contains("icelake", StringComparison.Ordinal);
        bool nameAvx2 = nameAvx512 || name.Contains("haswell", StringComparison.Ordinal) || name.Contains("skylake", StringComparison.Ordinal)
            || name.Contains("znver", StringComparison.Ordinal) || name.Contains("broadwell", StringComparison.Ordinal);
        bool unknownTarget = !nameAvx2 && !name.Contains("x86-64", StringComparison.Ordinal) && !name.Contains("generic", StringComparison.Ordinal);
        // A name that names no target at all (another driver): trust the host flags alone.
        if (hostIsa == "AVX-512" && (nameAvx512 || unknownTarget)) return DeviceClass.CpuAvx512;
        if (hostIsa is "AVX-512" or "AVX2" && (nameAvx2 || unknownTarget)) return DeviceClass.CpuAvx2;
        return DeviceClass.CpuOther;
    }

    /// <summary>The ISA a set of /proc/cpuinfo flags allows.</summary>
    public static string IsaFromCpuFlags(IReadOnlySet<string> flags) =>
        flags.Contains("avx512f") ? "AVX-512" : flags.Contains("avx2") && flags.Contains("fma") ? "AVX2" : "other";

    private static HashSet<string> ReadCpuFlags()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
            return line is null ? [] : [.. line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries)];
        }
        catch (IOException) { return []; }
        catch (UnauthorizedAccessException) { return []; }
    }

    [GeneratedRegex(@"sm_(\d+)")]
    private static partial Regex SmPattern();
}
