// Makes many distinct, real-looking test images from the shared photos: crops at different offsets,
// written as PNG with our encoder, so indexing tests have enough different files without shipping any.
using GpuSearch.Imaging;
using GpuSearch.Reports;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Engine;

internal static class VariantImages
{
    /// <summary>Writes <paramref name="perPhoto"/> crops of each shared photo into <paramref name="folder"/>; returns their paths.</summary>
    public static IReadOnlyList<string> Write(string folder, int perPhoto)
    {
        Directory.CreateDirectory(folder);
        var paths = new List<string>();
        foreach (var rel in EngineTests.Photos)
        {
            var img = ImageDecoder.DecodeFile(SharedData.Find(rel, out var why) ?? throw new InvalidOperationException(why));
            for (int v = 0; v < perPhoto; v++)
            {
                // Crop 80% of each side at an offset that moves with v.
                int cw = img.Width * 4 / 5, ch = img.Height * 4 / 5;
                int ox = (img.Width - cw) * v / Math.Max(1, perPhoto - 1), oy = (img.Height - ch) * (perPhoto - 1 - v) / Math.Max(1, perPhoto - 1);
                var rgb = new byte[cw * ch * 3];
                for (int y = 0; y < ch; y++)
                    Array.Copy(img.PixelArray, ((oy + y) * img.Width + ox) * 3, rgb, y * cw * 3, cw * 3);
                var path = Path.Combine(folder, $"{Path.GetFileNameWithoutExtension(rel)}-v{v}.png");
                File.WriteAllBytes(path, TestPng.EncodeRgb(rgb, cw, ch));
                paths.Add(path);
            }
        }
        return paths;
    }
}
