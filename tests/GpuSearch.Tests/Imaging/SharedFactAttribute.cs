// A [Fact] that skips, with SharedData's stated reason, when a path under ../shared is absent —
// xunit 2 has no run-time skip, so the decision is made when the attribute is constructed.
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Imaging;

[AttributeUsage(AttributeTargets.Method)]
public sealed class SharedFactAttribute : FactAttribute
{
    public SharedFactAttribute(params string[] relativePaths)
    {
        foreach (var rel in relativePaths)
        {
            if (SharedData.Find(rel, out var why) is null) { Skip = why; break; }
        }
    }
}

/// <summary>Paths of decoder test files under ../shared/testdata/decoders.</summary>
internal static class Corpus
{
    public const string Root = "testdata/decoders";

    public static string Dir(string sub) =>
        SharedData.Find($"{Root}/{sub}", out var why) ?? throw new InvalidOperationException(why);

    public static string File(string sub) => Dir(sub);

    public static string[] Files(string sub, string pattern = "*", bool recursive = false) =>
        Directory.GetFiles(Dir(sub), pattern, recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
            .OrderBy(p => p, StringComparer.Ordinal).ToArray();
}
