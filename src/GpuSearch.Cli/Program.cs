// Entry point of the `gpusearch` command: one file per subcommand under Commands/.
using System.CommandLine;
using GpuSearch.Cli;
using GpuSearch.Cli.Commands;

var root = new RootCommand("gpusearch — image similarity search on GPUs: embed images with an ONNX CNN, exact top-k search.")
{
    DevicesCommand.Create(),
    SmokeCommand.Create(),
    ModelInfoCommand.Create(),
    KnnCommand.Create(),
    RunOnnxCommand.Create(),
    IndexCommand.Create(),
    QueryCommand.Create(),
    EvalCommand.Create(),
    EmbedCommand.Create(),
    VerifyCommand.Create(),
    RepairCommand.Create(),
    CompactCommand.Create(),
    PruneCommand.Create(),
    ServeCommand.Create(),
    DedupCommand.Create(),
    WhitenCommand.Create(),
    TuneCommand.Create(),
};
return CliRunner.Run(root, args);
