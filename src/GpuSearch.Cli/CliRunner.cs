// Runs the parsed command and turns expected failures into one clear line on stderr and an exit code,
// instead of a stack trace. Set GPUSEARCH_DEBUG=1 to see the full exception.
using System.CommandLine;
using GpuSearch.Compute;

namespace GpuSearch.Cli;

/// <summary>Exit codes of <c>gpusearch</c>.</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;
    /// <summary>The command failed at run time (bad input file, device error).</summary>
    public const int Failed = 1;
    /// <summary>Usage error (unknown option, bad argument value).</summary>
    public const int Usage = 2;
}

internal static class CliRunner
{
    public static int Run(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        if (UsageErrors.Find(parse) is { } usage)
        {
            Console.Error.WriteLine($"error: {usage}");
            return ExitCodes.Usage;
        }
        using var compiles = KernelCompileReporter.Attach(Console.Error);
        GpuSearch.Models.Tuning.TunedConvTiles.Warning += w => Console.Error.WriteLine($"warning: {w}");
        GpuSearch.Models.Tuning.TunedScanTiles.Warning += w => Console.Error.WriteLine($"warning: {w}");
        GpuSearch.Models.Tuning.LazyTuningOnce.Starting += m => Console.Error.WriteLine(m);
        try
        {
            // System.CommandLine 3 would otherwise catch and print the exception itself (stack trace, exit 1).
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("GPUSEARCH_DEBUG") != "1" && IsUserFacing(e))
        {
            Console.Error.WriteLine($"error: {UsageErrors.OneLine(e)}");
            return e is ArgumentException or DeviceNotFoundException ? ExitCodes.Usage : ExitCodes.Failed;
        }
    }

    private static bool IsUserFacing(Exception e) =>
        e is ComputeException or IOException or ArgumentException or InvalidDataException
            or UnauthorizedAccessException or NotSupportedException or FormatException or InvalidOperationException;
}
