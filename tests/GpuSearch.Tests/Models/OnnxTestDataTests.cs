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

    [OnnxTestDataFact]
    public void ShapeInferenceAgreesWithDeclaredOutputShapes()
    {
        // Conformance models declare their outputs' shapes: for every model our validator accepts, our
        // inferred shapes must agree with the declared ones wherever both are known.
        int checkedModels = 0, agreed = 0, exact = 0, unsupported = 0, coveredModels = 0, coveredExact = 0;
        var mismatches = new List<string>();
        foreach (var f in Directory.GetFiles(OnnxTestDataFactAttribute.Root, "model.onnx", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            GpuSearch.Models.Graph.ModelGraph g;
            try { g = OnnxImporter.LoadFile(f); }
            catch (InvalidDataException) { continue; }
            bool accepted = ModelValidator.FindProblems(g).Count == 0;
            // Shape inference needs only shapes, so it also runs on models the validator rejects (e.g. Conv
            // weights fed as graph inputs); there, ops without a rule or needing constants may fail cleanly.
            var declared = g.Outputs.ToDictionary(o => o, o => g.Value(o).Shape);
            // Forget every declared intermediate/output shape so only inference can produce them.
            foreach (var v in g.Values.Values.Where(v => !v.IsConstant && !g.Inputs.Contains(v.Name))) v.Shape = null;
            var name = Path.GetRelativePath(OnnxTestDataFactAttribute.Root, Path.GetDirectoryName(f)!);
            checkedModels++;
            try { GpuSearch.Models.Graph.ShapeInference.Run(g); }
            catch (Exception e) when (e is InvalidDataException or NotSupportedException)
            {
                if (accepted) mismatches.Add($"{name}: {e.Message}");
                else unsupported++;
                continue;
            }
            var bad = g.Outputs.Where(o => declared[o] is { IsFullyKnown: true } d && g.Value(o).Shape is { } s && s.IsFullyKnown && !s.Equals(d))
                .Select(o => $"{o}: declared {declared[o]} inferred {g.Value(o).Shape}").ToList();
            if (bad.Count > 0) { mismatches.Add($"{name}: {string.Join("; ", bad)}"); continue; }
            agreed++;
            bool known = g.Nodes.All(n => GpuSearch.Models.Graph.ShapeInference.Knows(n.OpType));
            if (known) coveredModels++;
            if (g.Outputs.All(o => declared[o] is { IsFullyKnown: true } d && d.Equals(g.Value(o).Shape))) { exact++; if (known) coveredExact++; }
            else if (Environment.GetEnvironmentVariable("GPUSEARCH_VERBOSE") == "1")
                output.WriteLine($"  inexact {name}: " + string.Join("; ", g.Outputs.Select(o => $"{o} declared {declared[o]?.ToString() ?? "?"} inferred {g.Value(o).Shape?.ToString() ?? "?"}")) + " ops " + string.Join(",", g.Nodes.Select(n => n.OpType).Distinct()));
        }
        output.WriteLine($"shape inference on {checkedModels} loadable conformance models: {agreed} do not contradict the declared output shapes " +
                         $"({exact} with every output inferred exactly), " +
                         $"{unsupported} need constants or ops we lack (validator-rejected models), {mismatches.Count} differ or fail");
        output.WriteLine($"  of {coveredModels} models using only ops with shape rules, {coveredExact} have every output inferred exactly " +
                         "(the rest feed shapes/axes/pads as runtime inputs or omit declared shapes)");
        foreach (var m in mismatches) output.WriteLine("  " + m);
        Assert.True(checkedModels > 500);
        Assert.Empty(mismatches);
    }
}
