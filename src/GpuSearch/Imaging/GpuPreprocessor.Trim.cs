// The device half of margin trimming: one reduction work-group per image finds the bounding box of content,
// all boxes of a group of images come back in one download, and MarginTrim.Finish applies the rules
// (empty → whole image, minimum size) on the host, where the resize plan for the box is made anyway.
using GpuSearch.Compute;

namespace GpuSearch.Imaging;

/// <summary>An RGB8 image inside a device buffer.</summary>
/// <param name="OffsetBytes">Byte offset of the first pixel.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="StrideBytes">Bytes from one row to the next.</param>
internal readonly record struct DeviceImage(long OffsetBytes, int Width, int Height, int StrideBytes);

internal sealed partial class GpuPreprocessor
{
    /// <summary>Work-items of the content-box reduction (one work-group per image); matches TRIM_GROUP in preprocess.cl.</summary>
    public const int TrimGroup = 256;

    private DeviceBuffer? _boxes;

    /// <summary>
    /// The content box of each image under the spec's <see cref="PreprocessSpec.Trim"/>, found on the device: one
    /// launch per image on the preprocessor's stream, then one blocking download of all the boxes.
    /// </summary>
    /// <exception cref="InvalidOperationException">The spec has no trim step.</exception>
    public ContentBox[] FindContentBoxes(DeviceBuffer rgb, ReadOnlySpan<DeviceImage> images)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var trim = Spec.Trim ?? throw new InvalidOperationException("The preprocess spec has no trim step");
        if (images.Length == 0) return [];
        foreach (var im in images) CheckImage(rgb, im.OffsetBytes, im.Width, im.Height, im.StrideBytes);
        _boxes = EnsureCapacity(_boxes, 16L * images.Length);
        for (int i = 0; i < images.Length; i++)
        {
            var im = images[i];
            _stream.Launch(_contentBox, [TrimGroup], [TrimGroup], new KernelArgs()
                .Buffer(rgb).Long(im.OffsetBytes).Int(im.Width).Int(im.Height).Int(im.StrideBytes)
                .Int((int)trim.Background[0]).Int((int)trim.Background[1]).Int((int)trim.Background[2]).Int(trim.Threshold)
                .Buffer(_boxes).Int(i));
        }
        var raw = new int[4 * images.Length];
        _stream.Download<int>(_boxes, raw);
        var boxes = new ContentBox[images.Length];
        for (int i = 0; i < images.Length; i++)
            boxes[i] = MarginTrim.Finish(trim, images[i].Width, images[i].Height, raw[4 * i], raw[4 * i + 1], raw[4 * i + 2], raw[4 * i + 3]);
        return boxes;
    }
}
