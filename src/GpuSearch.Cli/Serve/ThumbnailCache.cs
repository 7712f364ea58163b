// Thumbnails of indexed images, encoded once (PNG) and kept in memory up to a byte budget; the least recently
// used go first. Two requests for the same missing thumbnail may both encode it; the result is the same.
using GpuSearch.Imaging;
using GpuSearch.Reports;

namespace GpuSearch.Cli.Serve;

internal sealed class ThumbnailCache(long maxBytes, int side)
{
    private readonly object _lock = new();
    private readonly Dictionary<long, LinkedListNode<(long Id, byte[] Png)>> _map = [];
    private readonly LinkedList<(long Id, byte[] Png)> _lru = new();
    private long _bytes;

    /// <summary>Bytes held now.</summary>
    public long Bytes { get { lock (_lock) return _bytes; } }

    /// <summary>The PNG thumbnail of <paramref name="path"/> for item <paramref name="id"/>.</summary>
    /// <exception cref="ImageDecodeException">The file no longer decodes.</exception>
    public byte[] Get(long id, string path)
    {
        lock (_lock)
        {
            if (_map.TryGetValue(id, out var node))
            {
                _lru.Remove(node);
                _lru.AddFirst(node);
                return node.Value.Png;
            }
        }
        var img = ImageDecoder.DecodeFile(path, new DecodeOptions { MinTargetSize = (side, side) });
        var t = Thumbnail.Fit(img.PixelArray, img.Width, img.Height, side);
        var png = PngEncoder.EncodeRgb(t.Rgb, t.Width, t.Height);
        lock (_lock)
        {
            if (_map.ContainsKey(id) || png.Length > maxBytes) return png;
            _map[id] = _lru.AddFirst((id, png));
            _bytes += png.Length;
            while (_bytes > maxBytes && _lru.Last is { } last)
            {
                _lru.RemoveLast();
                _map.Remove(last.Value.Id);
                _bytes -= last.Value.Png.Length;
            }
        }
        return png;
    }
}
