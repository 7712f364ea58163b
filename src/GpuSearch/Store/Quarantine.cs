// The quarantine folder: where a writable open or a repair puts anything it would otherwise cut or
// delete (segment files the catalog does not name, bytes past the committed rows, damaged segments).
// Nothing is ever destroyed by the store on its own judgement; the user can inspect and delete
// quarantine/<timestamp>/ when satisfied.
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace GpuSearch.Store;

internal sealed class Quarantine(string indexFolder, ILogger logger)
{
    /// <summary>Name of the folder inside the index that holds one subfolder per open or repair that moved something.</summary>
    public const string FolderName = "quarantine";

    private string? _dir;
    private readonly List<string> _moved = [];

    /// <summary>Paths (relative to the index folder) of everything this handle moved into quarantine, in order.</summary>
    public IReadOnlyList<string> Moved => _moved;

    /// <summary>This run's folder (created on first use), or null when nothing was moved.</summary>
    public string? Folder => _dir;

    private string Dir()
    {
        if (_dir is not null) return _dir;
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var root = Path.Combine(indexFolder, FolderName);
        var dir = Path.Combine(root, stamp);
        for (int n = 2; Directory.Exists(dir); n++) dir = Path.Combine(root, $"{stamp}-{n}");
        Directory.CreateDirectory(dir);
        DurableFile.SyncDirectory(root);
        return _dir = dir;
    }

    /// <summary>Moves <paramref name="file"/> into the quarantine (same file system: a rename) and returns its new path.</summary>
    public string MoveAside(string file)
    {
        var dst = Path.Combine(Dir(), Path.GetFileName(file));
        File.Move(file, dst);
        DurableFile.SyncDirectory(_dir!);
        DurableFile.SyncDirectory(Path.GetDirectoryName(file)!);
        Record(file, dst);
        return dst;
    }

    private void Record(string file, string dst)
    {
        _moved.Add(Path.GetRelativePath(indexFolder, dst));
        EngineLog.Quarantined(logger, indexFolder, Path.GetRelativePath(indexFolder, file), Path.GetRelativePath(indexFolder, dst));
    }

    /// <summary>
    /// Copies bytes <paramref name="from"/>..end of <paramref name="file"/> into the quarantine as
    /// <c>&lt;name&gt;.<paramref name="suffix"/></c>, durably, before the caller cuts them off.
    /// </summary>
    public string SaveTail(string file, long from, string suffix)
    {
        var dst = Path.Combine(Dir(), $"{Path.GetFileName(file)}.{suffix}");
        using (var src = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16))
        using (var outFs = new FileStream(dst, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
        {
            src.Position = from;
            src.CopyTo(outFs);
            outFs.Flush(flushToDisk: true);
        }
        DurableFile.SyncDirectory(_dir!);
        Record(file, dst);
        return dst;
    }

    /// <summary>Writes a short text note (what was moved and why) beside the quarantined files.</summary>
    public void WriteNote(string text)
    {
        var path = Path.Combine(Dir(), "README.txt");
        File.AppendAllText(path, text.EndsWith('\n') ? text : text + "\n");
    }
}
