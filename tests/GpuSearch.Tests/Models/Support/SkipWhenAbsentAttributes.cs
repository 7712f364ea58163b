// xunit 2 has no run-time skip, so tests needing data outside the repository use these attributes, which
// set Skip (with the reason) at discovery when the data is absent: a fresh clone still passes.
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Models.Support;

/// <summary>A fact that is skipped when <c>../shared/RELATIVE</c> is absent.</summary>
internal sealed class SharedFactAttribute : FactAttribute
{
    public SharedFactAttribute(string relative)
    {
        if (SharedData.Find(relative, out var reason) is null) Skip = reason;
    }
}

/// <summary>A theory that is skipped when <c>../shared/RELATIVE</c> is absent.</summary>
internal sealed class SharedTheoryAttribute : TheoryAttribute
{
    public SharedTheoryAttribute(string relative)
    {
        if (SharedData.Find(relative, out var reason) is null) Skip = reason;
    }
}

/// <summary>A fact skipped unless Debian's libonnx-testdata is installed.</summary>
internal sealed class OnnxTestDataFactAttribute : FactAttribute
{
    public const string Root = "/usr/share/libonnx-testdata/data";

    public OnnxTestDataFactAttribute()
    {
        if (!Directory.Exists(Root)) Skip = $"{Root} is absent (apt-get install libonnx-testdata; scripts/setup.sh installs it)";
    }
}

/// <summary>A theory skipped unless /usr/bin/python3 can import torch and torchvision (to make the parity fixtures).</summary>
internal sealed class TorchvisionTheoryAttribute : TheoryAttribute
{
    public TorchvisionTheoryAttribute()
    {
        if (TorchvisionFixtures.SkipReason is { } why) Skip = why;
    }
}

/// <summary>
/// A torchvision parity theory too slow for every CI run: skipped unless the environment variable
/// <paramref name="optIn"/> is "1" (and, like <see cref="TorchvisionTheoryAttribute"/>, unless torch is importable).
/// </summary>
internal sealed class TorchvisionOptInTheoryAttribute : TheoryAttribute
{
    public TorchvisionOptInTheoryAttribute(string optIn)
    {
        if (Environment.GetEnvironmentVariable(optIn) != "1") Skip = $"opt-in: set {optIn}=1 to run it (minutes of export on 2 cores)";
        else if (TorchvisionFixtures.SkipReason is { } why) Skip = why;
    }
}
