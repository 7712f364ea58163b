// Which depthwise kernel a CPU runs (the CnnOpsTests conv cases check the results of each, not which one ran): the
// flat kernel (kernels/depthwise_flat.cl) for MobileNet-style planes, the plane kernel where a right-hand tap would
// wrap onto a real column, the row kernel past the local tile.
using GpuSearch.Compute;
using GpuSearch.Models.Ops;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Models;

public sealed class DepthwiseFlatTests
{
    private static Conv2dShape Dw(int c, int hw, int stride, int pad, int k = 3, int dil = 1) =>
        new(2, c, hw, hw, c, k, k, stride, stride, pad, pad, pad, pad, dil, dil, Group: c);

    public static TheoryData<int, int, int, int> MobileNetShapes() => new()
    {
        { 32, 112, 1, 1 }, { 96, 112, 2, 1 }, { 144, 56, 2, 1 }, { 576, 14, 2, 1 }, { 960, 7, 1, 1 }, { 64, 9, 2, 1 }, // odd input, stride 2
        { 8, 20, 1, 2 }, // 5×5 taps (EfficientNet)
    };

    [Theory]
    [MemberData(nameof(MobileNetShapes))]
    public void SamePaddedShapesFit(int c, int hw, int stride, int pad) =>
        Assert.True(DepthwiseFlat.Fits(Dw(c, hw, stride, pad, pad == 2 ? 5 : 3), Depthwise.PlaneMax));

    [Fact]
    public void WrapOntoRealColumnsDoesNotFit()
    {
        // Unpadded: output row ow = OW − 1's right-hand taps read columns W − 2, W − 1, which a row of OW would wrap.
        Assert.False(DepthwiseFlat.Fits(Dw(4, 20, 1, 0), Depthwise.PlaneMax));
        // Stride 2 with only a right pad: columns 2·ow + 2 reach W − 1 = 8 while OW·2 = 8 < W.
        Assert.False(DepthwiseFlat.Fits(new Conv2dShape(1, 5, 9, 9, 10, 3, 3, 2, 2, 0, 0, 1, 1, Group: 5), Depthwise.PlaneMax));
        // A plane past the local tile.
        Assert.False(DepthwiseFlat.Fits(Dw(2, 300, 1, 1), Depthwise.PlaneMax));
    }

    [Theory]
    [InlineData(7, 1, 1, "depthwise2d_flat")]
    [InlineData(14, 2, 1, "depthwise2d_flat")]
    [InlineData(20, 1, 0, "depthwise2d_plane")]
    [InlineData(300, 1, 1, "depthwise2d")]
    public void CpuKernelChoice(int hw, int stride, int pad, string kernel)
    {
        using var device = DeviceRegistry.Default.Open(Devices.Cpu.Info.Id); // its own stream: the observer sees only this run
        var launched = new List<string>();
        device.Stream.LaunchObserver = (k, _, _) => launched.Add(k);
        var s = Dw(3, hw, stride, pad);
        using var xb = CnnOpsTests.Upload(device, new float[s.InputCount]);
        using var wb = CnnOpsTests.Upload(device, new float[s.WeightCount]);
        using var yb = device.Allocate(s.OutputCount * 4);
        Conv2d.Run(device.Stream, s, new DeviceTensor(xb, 0, [s.Batch, 3, hw, hw]), new DeviceTensor(wb, 0, [3, 1, 3, 3]), null, null,
            new DeviceTensor(yb, 0, [s.Batch, 3, s.OutHeight, s.OutWidth]), Activation.Relu, new ConvOptions(ConvAlgorithm.Auto, ConvTiles.Cpu));
        device.Stream.Synchronize();
        Assert.Equal([kernel], launched);
    }
}
