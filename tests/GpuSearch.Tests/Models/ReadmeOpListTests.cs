// README's "Supported ONNX ops" paragraph is what a user reads before exporting a model; it must name exactly the
// standard ops the registry accepts (fused ops of our own domain are internal and not listed).
using System.Text.RegularExpressions;
using GpuSearch.Models.Registry;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Models;

public sealed partial class ReadmeOpListTests
{
    [Fact]
    public void ReadmeNamesEveryAcceptedOpAndNoOther()
    {
        var readme = File.ReadAllText(Path.Combine(SharedData.RepoRoot, "README.md"));
        int start = readme.IndexOf("Supported ONNX ops", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no 'Supported ONNX ops' paragraph");
        int end = readme.IndexOf("\n\n", start, StringComparison.Ordinal);
        var paragraph = readme[start..end];
        // Op names are the capitalised words of the list's first sentence, after its "Supported ONNX ops" lead.
        var list = paragraph["Supported ONNX ops".Length..SentenceEnd().Match(paragraph).Index];
        var listed = OpName().Matches(list).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
        var accepted = OpRegistry.All.Values.Where(d => d.IsSupported && !d.OpType.StartsWith("Fused", StringComparison.Ordinal))
            .Select(d => d.OpType).ToHashSet(StringComparer.Ordinal);
        var unnamed = accepted.Except(listed).Order(StringComparer.Ordinal).ToArray();
        var refused = listed.Except(accepted).Order(StringComparer.Ordinal).ToArray();
        Assert.True(unnamed.Length == 0, $"accepted but not named in README: {string.Join(", ", unnamed)}");
        Assert.True(refused.Length == 0, $"named in README but not accepted: {string.Join(", ", refused)}");
    }

    [GeneratedRegex(@"\b[A-Z][A-Za-z0-9]+\b")]
    private static partial Regex OpName();

    [GeneratedRegex(@"\.(\s|$)")]
    private static partial Regex SentenceEnd();
}
