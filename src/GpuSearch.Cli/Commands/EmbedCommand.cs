// `gpusearch embed IMAGES --out emb.npy`: raw L2-normalised embeddings (float32, N × D, numpy-readable) with
// the paths of the rows in emb.paths.txt beside them; files that fail are listed on stderr and skipped.
using System.CommandLine;
using GpuSearch.Compute;
using GpuSearch.Embedding;
using GpuSearch.Imaging;
using GpuSearch.Store;

namespace GpuSearch.Cli.Commands;

internal static class EmbedCommand
{
    public static Command Create()
    {
        var inputs = CliCommon.Inputs("Images to embed");
        var outFile = new Option<string>("--out") { Description = "Output .npy (float32, N × D); paths go to <out>.paths.txt", Required = true };
        var model = CliCommon.Model();
        var pre = CliCommon.Preprocess();
        var outName = CliCommon.Output();
        var pool = CliCommon.Pool();
        var batch = CliCommon.Batch();
        var workers = CliCommon.Workers();
        var device = CliCommon.Device();
        var flip = new Option<bool>("--flip-tta") { Description = "Average each image's embedding with its mirror's (flip test-time augmentation)" };
        var cmd = new Command("embed", "Write the embeddings of images to a .npy file") { inputs, outFile, model, pre, outName, pool, batch, workers, device, flip };
        cmd.SetAction((r, ct) => RunAsync(r.GetValue(inputs)!, r.GetValue(outFile)!, r.GetValue(model), CliCommon.ParsePreprocess(r.GetValue(pre), r.GetValue(model)),
            r.GetValue(outName), r.GetValue(batch), r.GetValue(workers), r.GetValue(device)!, ct, r.GetValue(flip), CliCommon.ParsePool(r.GetValue(pool))));
        return cmd;
    }

    public static async Task<int> RunAsync(string[] inputs, string outFile, string? modelPath, PreprocessSpec? spec, string? outputName,
        int batch, int workers, string device, CancellationToken ct, bool flipTta = false, Models.GemPooling? pool = null)
    {
        var model = Path.GetFullPath(modelPath ?? DefaultModel.RequirePath());
        spec ??= ImageSearchEngine.PreprocessFor(model);
        var paths = ImageFiles.Expand(inputs);
        using var dev = DeviceRegistry.Default.Open(device);
        using var embedder = new ImageEmbedder(dev, model, spec, outputName, batch, flipTta: flipTta, pooling: pool);
        var rows = new List<float[]>();
        var done = new List<string>();
        int failed = 0;
        var options = new DecodePipelineOptions { BatchSize = batch, WorkerCount = workers };
        await foreach (var b in EmbeddingPipeline.RunAsync(embedder, paths.Select((p, i) => new DecodeRequest(i, p)), options, ct))
        {
            foreach (var f in b.Failures.Values) { failed++; Console.Error.WriteLine($"skipped {f.Path}: {f.Reason}: {f.Message}"); }
            rows.Add(b.Vectors);
            done.AddRange(b.Embedded.Select(e => e.Path));
        }
        var all = rows.SelectMany(r => r).ToArray();
        NpyFile.Write<float>(outFile, all, [done.Count, embedder.Dimension]);
        var pathsFile = Path.ChangeExtension(outFile, null) + ".paths.txt";
        File.WriteAllLines(pathsFile, done);
        Console.Error.WriteLine($"wrote {done.Count} × {embedder.Dimension} embeddings to {outFile} (paths in {pathsFile}); {failed} failed");
        return done.Count == 0 && paths.Count > 0 ? ExitCodes.Failed : ExitCodes.Ok;
    }
}
