// A decode-memory budget shared by the decode workers of one pipeline. Every decoder checks the header
// size in ImageLimits.Check before allocating; that check also reserves the image's estimated working
// memory from the budget of the worker's current scope, waiting while other workers hold it. So peak decode
// memory stays near the budget however many workers run (a 1 KB RLE BMP can expand to a gigabyte).
// An image whose estimate exceeds the whole budget is not refused: it waits until nothing else is held and
// then decodes alone (MaxPixels already bounds it). The scope is per thread because decoding is synchronous
// on a dedicated worker thread.
namespace GpuSearch.Imaging;

/// <summary>Bytes of decode working memory the workers of one pipeline may hold at once.</summary>
internal sealed class DecodeMemoryBudget(long totalBytes)
{
    /// <summary>Working memory per pixel a decode may use, e.g. for a 16-bit RGBA PNG: the 16-bit samples (8),
    /// their 8-bit copy (4), the flattened RGB (3) and an orientation copy (3), plus garbage not yet collected
    /// (the reliability pass measured 2.18 GB peak for one 778 KB 16-bit PNG). Deliberately generous.</summary>
    public const long BytesPerPixel = 24;

    [ThreadStatic] private static Scope? t_scope;

    private readonly object _gate = new();
    private long _held;

    /// <summary>The budget in bytes.</summary>
    public long Total { get; } = totalBytes > 0 ? totalBytes : throw new ArgumentOutOfRangeException(nameof(totalBytes));

    /// <summary>Bytes held right now (for tests and diagnostics).</summary>
    public long Held { get { lock (_gate) return _held; } }

    /// <summary>Starts a decode on this thread; reservations made until disposal are released together.</summary>
    public IDisposable Enter(CancellationToken token)
    {
        if (t_scope is not null) throw new InvalidOperationException("a decode scope is already open on this thread");
        return t_scope = new Scope(this, token);
    }

    /// <summary>Reserves memory for a <paramref name="width"/>×<paramref name="height"/> decode in the current
    /// thread's scope, waiting until it fits; no-op outside a scope (a single decode, not a pipeline).</summary>
    public static void Reserve(long width, long height)
    {
        if (t_scope is { } s) s.Budget.Acquire(s, Math.Min(checked(width * height * BytesPerPixel), s.Budget.Total));
    }

    private void Acquire(Scope s, long bytes)
    {
        lock (_gate)
        {
            // A scope that already holds memory never waits (a second reservation in one decode): two
            // half-served workers waiting on each other would deadlock.
            while (s.Held == 0 && _held > 0 && _held + bytes > Total)
            {
                s.Token.ThrowIfCancellationRequested();
                Monitor.Wait(_gate, 100); // woken on release; the timeout only re-checks cancellation
            }
            _held += bytes;
            s.Held += bytes;
        }
    }

    private void Release(Scope s)
    {
        lock (_gate)
        {
            _held -= s.Held;
            s.Held = 0;
            Monitor.PulseAll(_gate);
        }
    }

    private sealed class Scope(DecodeMemoryBudget budget, CancellationToken token) : IDisposable
    {
        public DecodeMemoryBudget Budget { get; } = budget;
        public CancellationToken Token { get; } = token;
        public long Held;

        public void Dispose()
        {
            if (t_scope == this) t_scope = null;
            Budget.Release(this);
        }
    }
}
