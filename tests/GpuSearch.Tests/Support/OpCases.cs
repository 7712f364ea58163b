// Theory rows for backend-ops style suites: every case on every device of a backend. A backend with no
// device gets one placeholder row, because xunit needs data even for a theory that is skipped.
namespace GpuSearch.Tests.Support;

internal static class OpCases
{
    /// <summary>(device, case) rows for the given device ids.</summary>
    public static TheoryData<string, string> For(IReadOnlyList<string> deviceIds, IEnumerable<string> caseNames)
    {
        var data = new TheoryData<string, string>();
        var cases = caseNames.ToArray();
        foreach (var d in deviceIds)
            foreach (var c in cases) data.Add(d, c);
        if (deviceIds.Count == 0) data.Add("none", "none");
        return data;
    }
}
