// Images named by the user may be FIFOs or devices: they fail as that one image (IoError, saying why), and
// never block the reader.
using GpuSearch.Imaging;
using GpuSearch.Tests.Models;

namespace GpuSearch.Tests.Trust;

public sealed class SpecialImageFileTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    [Fact]
    public void DecodeFile_refuses_a_fifo_without_blocking()
    {
        using var dir = new TempDir();
        var fifo = Path.Combine(dir.Path, "photo.jpg");
        SpecialFiles.MakeFifo(fifo);
        var e = Assert.IsType<ImageDecodeException>(SpecialFiles.ThrowsWithin(Limit, () => ImageDecoder.DecodeFile(fifo)));
        Assert.Equal(DecodeFailureReason.IoError, e.Reason);
        Assert.Contains("FIFO", e.Message);
    }

    [Fact]
    public void The_pipeline_fails_a_fifo_and_a_device_as_single_items()
    {
        using var dir = new TempDir();
        var fifo = Path.Combine(dir.Path, "pipe.png");
        SpecialFiles.MakeFifo(fifo);
        var items = SpecialFiles.Within(Limit, () =>
        {
            var list = new List<ImageBatchItem>();
            var run = new DecodePipeline(new DecodePipelineOptions { WorkerCount = 2, BatchSize = 4 }).RunAsync([fifo, "/dev/zero"]);
            var e = run.GetAsyncEnumerator();
            while (e.MoveNextAsync().AsTask().GetAwaiter().GetResult()) list.AddRange(e.Current.Items);
            return list;
        });
        Assert.Equal(2, items.Count);
        Assert.All(items, i => Assert.Equal(DecodeFailureReason.IoError, i.Failure!.Reason));
        Assert.Contains("named pipe", items[0].Failure!.Message);
        Assert.Contains("character device", items[1].Failure!.Message);
    }
}
