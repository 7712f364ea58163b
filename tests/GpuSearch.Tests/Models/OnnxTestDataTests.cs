// Loads every model.onnx of Debian's libonnx-testdata (the ONNX project's own conformance models) through
// our reader and importer, and reports which fail and why. Not committed data; skipped where not installed.
using GpuSearch.Models;
using GpuSearch.Models.Onnx;
using GpuSearch.Tests.Models.Support;
using Xunit.Abstractions;

namespace GpuSearch.Tests.Models;

public class OnnxTestDataTests(ITestOutputHelper output)
{
    [OnnxTestDataFact]
    public void EveryConformanceModelParsesOrFailsCleanly()
    {
        var files = Directory.GetFiles(OnnxTestDataFactAttribute.Root, "model.onnx", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        int loaded = 0, supported = 0;
        var failures = new List<string>();
        var reasons = new Dictionary<string, int>();
        foreach (var f in files)
        {
            var name = Path.GetRelativePath(OnnxTestDataFactAttribute.Root, Path.GetDirectoryName(f)!);
            try
            {
                var g = OnnxImporter.LoadFile(f);
                loaded++;
                if (ModelValidator.FindProblems(g).Count == 0) supported++;
            }
            catch (InvalidDataException e)
            {
                // Only clean, explained failures are acceptable; anything else (NullReference, IndexOutOfRange...) fails the test.
                failures.Add($"{name}: {e.Message}");
                var key = e.Message.Contains("opset") ? "opset outside 7–21" : e.Message.Contains("IR version") ? "IR version outside 3–10"
                    : e.Message.Contains("data type") ? "unsupported tensor dtype" : "other";
                reasons[key] = reasons.GetValueOrDefault(key) + 1;
            }
        }
        output.WriteLine($"libonnx-testdata: {files.Count} models, {loaded} load, {supported} pass the validator, {failures.Count} rejected");
        foreach (var (k, v) in reasons) output.WriteLine($"  rejected: {k}: {v}");
        foreach (var f in failures) output.WriteLine("  " + f);
        Assert.True(files.Count > 0);
        // Rejections must only be the version/dtype limits the brief sets, never a parse error.
        Assert.DoesNotContain(failures, f => f.Contains("not a valid ONNX protobuf"));
        Assert.True(loaded > files.Count * 0.8, $"only {loaded} of {files.Count} loaded");
    }
}
