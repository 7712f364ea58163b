// UntrustedFile opens regular files only (links followed), never blocking on a FIFO, and resolves
// containment on real paths.
using GpuSearch.IO;
using GpuSearch.Tests.Models;

namespace GpuSearch.Tests.Trust;

public sealed class UntrustedFileTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData("/dev/zero", "character device")]
    [InlineData("/dev/null", "character device")]
    [InlineData("/tmp", "directory")]
    public void Special_files_are_refused(string path, string kind)
    {
        var e = Assert.Throws<NotARegularFileException>(() => UntrustedFile.ReadAllBytes(path));
        Assert.Contains(kind, e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void A_fifo_and_a_link_to_a_fifo_are_refused_without_blocking()
    {
        using var dir = new TempDir();
        var fifo = Path.Combine(dir.Path, "pipe");
        SpecialFiles.MakeFifo(fifo);
        var link = Path.Combine(dir.Path, "link.jpg");
        File.CreateSymbolicLink(link, fifo);
        foreach (var p in new[] { fifo, link })
            Assert.IsType<NotARegularFileException>(SpecialFiles.ThrowsWithin(Limit, () => UntrustedFile.OpenRegular(p).Dispose()));
    }

    [Fact]
    public void Regular_files_read_and_limits_apply_before_reading()
    {
        using var dir = new TempDir();
        var f = Path.Combine(dir.Path, "a.bin");
        File.WriteAllBytes(f, [1, 2, 3, 4]);
        Assert.Equal([1, 2, 3, 4], UntrustedFile.ReadAllBytes(f));
        Assert.Equal(4, Assert.Throws<FileTooLargeException>(() => UntrustedFile.ReadAllBytes(f, maxBytes: 3)).Length);
        Assert.Throws<FileNotFoundException>(() => UntrustedFile.OpenRegular(Path.Combine(dir.Path, "missing")));
    }

    [Fact]
    public void Containment_compares_real_paths()
    {
        using var root = new TempDir();
        using var other = new TempDir();
        File.WriteAllBytes(Path.Combine(other.Path, "x"), [1]);
        File.WriteAllBytes(Path.Combine(root.Path, "in"), [1]);
        File.CreateSymbolicLink(Path.Combine(root.Path, "out"), Path.Combine(other.Path, "x"));
        Assert.NotNull(UntrustedFile.ResolveInside(root.Path, "in"));
        Assert.Null(UntrustedFile.ResolveInside(root.Path, "out"));
        // A sibling whose name starts with the root's name is not inside it.
        var sibling = root.Path + "-evil";
        Directory.CreateDirectory(sibling);
        try
        {
            File.WriteAllBytes(Path.Combine(sibling, "y"), [1]);
            File.CreateSymbolicLink(Path.Combine(root.Path, "sib"), Path.Combine(sibling, "y"));
            Assert.Null(UntrustedFile.ResolveInside(root.Path, "sib"));
        }
        finally { Directory.Delete(sibling, true); }
    }

    [Fact]
    public void What_was_opened_is_checked_against_the_root_again()
    {
        // Stands in for a link swapped in between the containment check and the open: the descriptor's own
        // path is outside the root, so the file is closed and refused.
        using var root = new TempDir();
        using var other = new TempDir();
        var outside = Path.Combine(other.Path, "x");
        var inside = Path.Combine(root.Path, "y");
        File.WriteAllBytes(outside, [1]);
        File.WriteAllBytes(inside, [2]);
        Assert.Null(UntrustedFile.OpenRegularInside(root.Path, outside));
        using var fs = UntrustedFile.OpenRegularInside(root.Path, inside);
        Assert.NotNull(fs);
        Assert.Equal(2, fs!.ReadByte());
    }
}
