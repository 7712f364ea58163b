// Expands command-line inputs into image files: folders recursively (by image extension, so README.txt
// next to photos is not reported as a failure), list files (one path per line), and plain files (taken
// as given: a file named explicitly is always tried, whatever its extension).
namespace GpuSearch.Imaging;

/// <summary>Finds image files.</summary>
internal static class ImageFiles
{
    /// <summary>Extensions picked up when scanning a folder (content is still detected from the bytes).</summary>
    public static IReadOnlySet<string> FolderExtensions { get; } =
        new HashSet<string>([".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".gif", ".bmp", ".dib",
                               ".tif", ".tiff", ".tga", ".pbm", ".pgm", ".ppm", ".pnm"], StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Expands each input: a folder → its image files (recursive, sorted for a stable order); a <c>.txt</c>/<c>.lst</c>
    /// file → the paths it lists (relative ones resolved against its folder); anything else → itself. Paths come
    /// back absolute and de-duplicated, in input order.
    /// </summary>
    /// <exception cref="FileNotFoundException">An input names nothing that exists.</exception>
    public static IReadOnlyList<string> Expand(IEnumerable<string> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<string>();
        void Take(string p) { var full = Path.GetFullPath(p); if (seen.Add(full)) result.Add(full); }
        foreach (var input in inputs)
        {
            if (Directory.Exists(input))
            {
                var files = Directory.EnumerateFiles(input, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true })
                    .Where(f => FolderExtensions.Contains(Path.GetExtension(f))).Order(StringComparer.Ordinal);
                foreach (var f in files) Take(f);
            }
            else if (File.Exists(input))
            {
                var ext = Path.GetExtension(input);
                if (ext.Equals(".txt", StringComparison.OrdinalIgnoreCase) || ext.Equals(".lst", StringComparison.OrdinalIgnoreCase))
                {
                    var dir = Path.GetDirectoryName(Path.GetFullPath(input))!;
                    // Only a regular file: a FIFO named list.txt would block the run before it starts.
                    using var reader = new StreamReader(IO.UntrustedFile.OpenRegular(input));
                    while (reader.ReadLine() is { } line)
                    {
                        var t = line.Trim();
                        if (t.Length == 0 || t.StartsWith('#')) continue;
                        Take(Path.IsPathRooted(t) ? t : Path.Combine(dir, t));
                    }
                }
                else Take(input);
            }
            else throw new FileNotFoundException($"No such file or folder: {input}", input);
        }
        return result;
    }
}
