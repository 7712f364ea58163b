// What `gpusearch serve` was asked for: where to listen, who may call, how much a request may send, and how
// concurrent image searches are batched. One record, so the command, the tests and the bench build the same host.
using Microsoft.Extensions.Logging;

namespace GpuSearch.Cli.Serve;

internal sealed record ServeOptions
{
    public const string DefaultUrls = "http://127.0.0.1:8080";

    /// <summary>Kestrel URLs, ';'-separated (port 0 picks a free port).</summary>
    public string Urls { get; init; } = DefaultUrls;
    /// <summary>When set, every API request must carry it (X-Api-Key or Authorization: Bearer).</summary>
    public string? ApiKey { get; init; }
    /// <summary>Allow a non-loopback bind without an API key.</summary>
    public bool Insecure { get; init; }
    /// <summary>Largest upload accepted, in bytes (larger gets 413).</summary>
    public long MaxUploadBytes { get; init; } = 32L << 20;
    /// <summary>Collect concurrent image searches into one device pass (off: each request runs alone).</summary>
    public bool Batching { get; init; } = true;
    /// <summary>How long the batcher waits for more requests once one has arrived.</summary>
    public TimeSpan BatchWindow { get; init; } = TimeSpan.FromMilliseconds(2);
    /// <summary>A request running longer than this is answered 504.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Largest k a request may ask for.</summary>
    public int MaxK { get; init; } = 1000;
    /// <summary>Thumbnails kept in memory (encoded JPEG bytes), at most this many bytes in all.</summary>
    public long ThumbnailCacheBytes { get; init; } = 64L << 20;
    /// <summary>Longer side of a thumbnail, in pixels.</summary>
    public int ThumbnailSide { get; init; } = 192;
    /// <summary>GET /duplicates refuses (503) an index with more items than this: the all-pairs search is O(N²).</summary>
    public long MaxDuplicateItems { get; init; } = 20_000;
    /// <summary>Weights of an ensemble index's named embedding spaces that every search and GET /duplicates use (as query --space); null: the whole vector.</summary>
    public IReadOnlyDictionary<string, float>? Spaces { get; init; }
    /// <summary>Log level for the console (Warning by default: no line per request).</summary>
    public LogLevel LogLevel { get; init; } = LogLevel.Warning;
}
