// Real read-only and full media for tests: a read-only bind mount (`mount --bind -o ro`) and a tiny tmpfs.
// Tests run as root, where chmod does not stop writes, so only a mount gives a medium that refuses them.
// Both need root with mount rights; where that is missing the tests that need them skip with the reason.
using System.Diagnostics;

namespace GpuSearch.Tests.Store;

internal sealed class TestMount : IDisposable
{
    private TestMount(string path) => Path = path;

    /// <summary>Where the mount is.</summary>
    public string Path { get; }

    /// <summary>Null when mounts work here, else why not (the skip reason).</summary>
    public static readonly string? Unavailable = Probe();

    /// <summary>Mounts <paramref name="source"/> read-only at a fresh folder beside it.</summary>
    public static TestMount ReadOnlyView(string source)
    {
        var target = source.TrimEnd('/') + "-ro";
        Directory.CreateDirectory(target);
        Run("mount", "--bind", "-o", "ro", source, target);
        return new TestMount(target);
    }

    /// <summary>Mounts an empty tmpfs of <paramref name="bytes"/> at <paramref name="target"/>.</summary>
    public static TestMount Tmpfs(string target, long bytes)
    {
        Directory.CreateDirectory(target);
        Run("mount", "-t", "tmpfs", "-o", $"size={bytes}", "tmpfs", target);
        return new TestMount(target);
    }

    public void Dispose()
    {
        try { Run("umount", Path); } catch (InvalidOperationException) { Run("umount", "-l", Path); }
    }

    private static void Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)}: exit {p.ExitCode}: {err.Trim()}");
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux()) return "read-only and tmpfs mounts are Linux-only";
        var dir = Directory.CreateTempSubdirectory("gpusearch-mount-probe-").FullName;
        try
        {
            using var m = ReadOnlyView(dir);
            try { File.WriteAllText(System.IO.Path.Combine(m.Path, "x"), "x"); return "a read-only bind mount still accepted a write"; }
            catch (IOException) { return null; }
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return $"needs root with mount rights for a read-only bind mount ({e.Message})";
        }
        finally
        {
            try { Directory.Delete(dir + "-ro"); } catch (IOException) { }
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }
}

/// <summary>A fact skipped (with the reason) where test mounts are not possible.</summary>
internal sealed class MountFactAttribute : FactAttribute
{
    public MountFactAttribute() { if (TestMount.Unavailable is { } why) Skip = why; }
}
