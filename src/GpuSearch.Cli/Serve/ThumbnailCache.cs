// Thumbnails of indexed images, encoded once (JPEG, ThumbnailEncoder) and kept in memory up to a byte budget; the least recently
// used go first. Two requests for the same missing thumbnail may both encode it; the result is the same.
using GpuSearch.Imaging;
using GpuSearch.Reports;

namespace GpuSearch.Cli.Serve;

internal sealed class ThumbnailCache(long maxBytes, int side)
{
    private readonly object _lock = new();
    private readonly Dictionary<long, LinkedListNode<(long Id, byte[] Jpeg)>> _map = [];
    private readonly LinkedList<(long Id, byte[] Jpeg)> _lru = new();
    private long _bytes;

    /// <summary>Bytes held now.</summary>
    public long Bytes { get { lock (_lock) return _bytes; } }

    /// <summary>The JPEG thumbnail of <paramref name="path"/> for item <paramref name="id"/>.</summary>
    /// <exception cref="ImageDecodeException">The file no longer decodes.</exception>
    public byte[] Get(long id, string path)
    {
        lock (_lock)
        {
            if (_map.TryGetValue(id, out var node))
            {
                _lru.Remove(node);
                _lru.AddFirst(node);
                return node.Value.Jpeg;
            }
        }
        var img = ImageDecoder.DecodeFile(path, new DecodeOptions { MinTargetSize = (side, side) });
        var t = Thumbnail.Fit(img.PixelArray, img.Width, img.Height, side);
        var jpeg = ThumbnailEncoder.Jpeg(t);
        lock (_lock)
        {
            if (_map.ContainsKey(id) || jpeg.Length > maxBytes) return jpeg;
            _map[id] = _lru.AddFirst((id, jpeg));
            _bytes += jpeg.Length;
            while (_bytes > maxBytes && _lru.Last is { } last)
            {
                _lru.RemoveLast();
                _map.Remove(last.Value.Id);
                _bytes -= last.Value.Jpeg.Length;
            }
        }
        return jpeg;
    }
}
