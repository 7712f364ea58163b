// Asynchronous transfers from pinned host memory and cross-stream waits, on every device found (PoCL in
// CI): the pieces that let the embedder upload one batch while the previous one computes.
using GpuSearch.Compute;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Compute;

public sealed class AsyncTransferTests
{
    public static TheoryData<string> DeviceIds() => [.. Devices.AllIds];

    [Theory]
    [MemberData(nameof(DeviceIds))]
    public void AsyncUploadAndDownloadRoundTripWithOffsets(string id)
    {
        var dev = Devices.Get(id);
        using var buf = dev.Allocate(8192);
        using var host = dev.AllocatePinned(8192);
        using var back = dev.AllocatePinned(8192);
        var src = host.AsSpan<int>();
        for (int i = 0; i < src.Length; i++) src[i] = i * 7 - 3;
        back.Span.Fill(0xAB);
        var s = dev.Stream;
        s.Fill(buf, 0u);
        s.UploadAsync(buf, host, srcOffsetBytes: 400, byteCount: 4000, dstOffsetBytes: 1000);
        s.DownloadAsync(buf, back, srcOffsetBytes: 996, byteCount: 4008, dstOffsetBytes: 4);
        using var done = s.Record();
        done.Wait();
        var got = back.AsSpan<int>();
        Assert.Equal(unchecked((int)0xABABABAB), got[0]); // before the target range: untouched
        Assert.Equal(0, got[1]);                           // the word before the uploaded range: still the fill
        Assert.Equal(src.Slice(100, 1000).ToArray(), got.Slice(2, 1000).ToArray());
        Assert.Equal(0, got[1002]);                        // the word after it
        Assert.Equal(unchecked((int)0xABABABAB), got[1003]);
    }

    [Theory]
    [MemberData(nameof(DeviceIds))]
    public void ComputeStreamWaitsForTheUploadStreamsEvent(string id)
    {
        var dev = Devices.Get(id);
        using var upload = dev.CreateStream();
        var compute = dev.Stream;
        const long bytes = 16 << 20;
        using var staged = dev.Allocate(bytes);
        using var copy = dev.Allocate(bytes);
        using var host = dev.AllocatePinned(bytes);
        for (int round = 1; round <= 3; round++)
        {
            // Work queued ahead of the upload keeps the upload stream busy, so a compute stream that did not
            // wait would copy the old contents.
            for (int k = 0; k < 4; k++) upload.Fill(staged, 0xDEAD0000u + (uint)k);
            host.AsSpan<uint>().Fill((uint)round);
            upload.UploadAsync(staged, host, 0, bytes);
            using var uploaded = upload.Record();
            compute.Wait(uploaded);
            compute.Copy(staged, copy, bytes);
            using var done = compute.Record();
            done.Wait();
            var stale = compute.Download<uint>(copy).Where(v => v != (uint)round).Take(1).ToArray();
            Assert.True(stale.Length == 0, $"round {round}: the copy did not see the upload (found {(stale.Length > 0 ? stale[0] : 0):X8})");
        }
    }

    [Fact]
    public void PinnedBufferArgumentsAreChecked()
    {
        var dev = Devices.Cpu;
        using var buf = dev.Allocate(64);
        using var host = dev.AllocatePinned(64);
        var s = dev.Stream;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => s.UploadAsync(buf, host, 32, 40));
        Assert.Contains("pinned host buffer of 64 bytes", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.DownloadAsync(buf, host, 40, 32));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.UploadAsync(buf, host, -1, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => dev.AllocatePinned(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => dev.AllocatePinned(PinnedHostBuffer.MaxBytes + 1));

        // A buffer of another open device (a second context on the same hardware) is refused by name.
        using var other = DeviceRegistry.Default.Open(dev.Info.Id);
        using var foreign = other.AllocatePinned(64);
        var wrong = Assert.Throws<ArgumentException>(() => s.UploadAsync(buf, foreign, 0, 64));
        Assert.Equal("src", wrong.ParamName);

        var gone = dev.AllocatePinned(64);
        gone.Dispose();
        Assert.Throws<ObjectDisposedException>(() => s.UploadAsync(buf, gone, 0, 4));
        Assert.Throws<ObjectDisposedException>(() => gone.Span.Length);
    }

    [Fact]
    public void DisposingAPinnedBufferWaitsForItsPendingDownload()
    {
        var dev = Devices.Cpu;
        const long bytes = 32 << 20;
        using var buf = dev.Allocate(bytes);
        using var stream = dev.CreateStream();
        stream.Fill(buf, 7u);
        var host = dev.AllocatePinned(bytes);
        stream.DownloadAsync(buf, host, 0, bytes);
        host.Dispose(); // must not free the memory under the copy (a crash or heap corruption here otherwise)
        stream.Synchronize();
        Assert.True(host.IsDisposed);
    }
}
