// The test process runs with lazy first-use tuning off (as CI does through CI=true), whatever the developer's
// environment: tests that search choose their own tiles or the class defaults, and a tuning run inside an unrelated
// test would add its budget and extra kernel compiles to it. LazyScanTuningTests drive lazy tuning explicitly.
using System.Runtime.CompilerServices;

namespace GpuSearch.Tests.Support;

internal static class LazyTuningOff
{
#pragma warning disable CA2255 // a test assembly, not a library: the switch must be set before any test searches
    [ModuleInitializer]
    internal static void Init()
    {
        if (Environment.GetEnvironmentVariable("GPUSEARCH_LAZY_TUNING") is null)
            Environment.SetEnvironmentVariable("GPUSEARCH_LAZY_TUNING", "off");
    }
#pragma warning restore CA2255
}
