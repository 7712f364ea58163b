// Graph size is bounded at load: a graph over OnnxImporter.MaxNodes is refused before validation or
// optimisation could spend minutes on it (a chain at the limit loads in ~4 s on a CI core; load is linear).
using System.Diagnostics;
using GpuSearch.Models;
using GpuSearch.Models.Onnx;
using GpuSearch.Tests.Models.Support;
using Xunit.Abstractions;

namespace GpuSearch.Tests.Trust;

public sealed class GraphSizeTests(ITestOutputHelper log)
{
    private static byte[] Chain(int nodes)
    {
        var w = new OnnxTestWriter().Input("x", "N", 4).Output($"v{nodes}");
        for (int i = 0; i < nodes; i++) w.Node("Relu", [i == 0 ? "x" : $"v{i}"], [$"v{i + 1}"]);
        return w.ToBytes();
    }

    [Fact]
    public void A_graph_over_the_node_limit_is_refused_at_import()
    {
        var sw = Stopwatch.StartNew();
        var e = Assert.Throws<InvalidDataException>(() => OnnxImporter.LoadBytes(Chain(OnnxImporter.MaxNodes + 1), "chain.onnx"));
        Assert.Contains("chain.onnx", e.Message);
        Assert.Contains($"{OnnxImporter.MaxNodes + 1} nodes, over the limit of {OnnxImporter.MaxNodes}", e.Message);
        log.WriteLine($"refused in {sw.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void A_long_chain_under_the_limit_still_loads()
    {
        var sw = Stopwatch.StartNew();
        var m = ModelLoader.Prepare(OnnxImporter.LoadBytes(Chain(20_000), "chain.onnx"));
        Assert.Equal("[N,4]", m.Graph.Value("v20000").Shape!.ToString());
        log.WriteLine($"20k-node chain loaded in {sw.ElapsedMilliseconds} ms");
    }
}
