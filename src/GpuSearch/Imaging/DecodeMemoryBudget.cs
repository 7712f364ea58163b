// A decode-memory budget shared by the decode workers of one pipeline. Every decoder checks the header
// size in ImageLimits.Check before allocating; that check also reserves the image's estimated working
// memory from the budget of the worker's current scope, waiting while other workers hold it. When the decode
// ends, the working memory goes back and the decoded pixels stay charged until their batch is delivered, so
// both a gigabyte-per-image decode (a 1 KB RLE BMP can expand that far) and the decoded images waiting in the
// pipeline stay near the budget however many workers run.
// Two rules keep it live: the item the pipeline must deliver next does not wait for decoded images (later
// items may hold them while they wait for it, to be delivered in order), only for decodes in progress, which
// always finish; and an image whose estimate exceeds the whole budget waits until nothing else is held (or,
// as the next to deliver, nothing else is decoding) and then decodes alone (MaxPixels already bounds it). The scope is
// per thread because decoding is synchronous on a dedicated worker thread.
namespace GpuSearch.Imaging;

/// <summary>Bytes of decode memory the workers of one pipeline may hold at once.</summary>
internal sealed class DecodeMemoryBudget(long totalBytes)
{
    /// <summary>Working memory per pixel a decode may use, e.g. for a 16-bit RGBA PNG: the 16-bit samples (8),
    /// their 8-bit copy (4), the flattened RGB (3) and an orientation copy (3), plus garbage not yet collected
    /// (the reliability pass measured 2.18 GB peak for one 778 KB 16-bit PNG). Deliberately generous.</summary>
    public const long BytesPerPixel = 24;

    [ThreadStatic] private static Scope? t_scope;

    private readonly object _gate = new();
    private long _working, _kept; // reserved by decodes in progress; kept for decoded images not yet delivered

    /// <summary>The budget in bytes.</summary>
    public long Total { get; } = totalBytes > 0 ? totalBytes : throw new ArgumentOutOfRangeException(nameof(totalBytes));

    /// <summary>Bytes held right now (for tests and diagnostics).</summary>
    public long Held { get { lock (_gate) return _working + _kept; } }

    /// <summary>Starts a decode on this thread; <paramref name="mustProceed"/> says whether this item is the one the
    /// pipeline delivers next (it then never waits).</summary>
    public Scope Enter(CancellationToken token, Func<bool>? mustProceed = null)
    {
        if (t_scope is not null) throw new InvalidOperationException("a decode scope is already open on this thread");
        return t_scope = new Scope(this, token, mustProceed ?? (() => false));
    }

    /// <summary>Reserves memory for a <paramref name="width"/>×<paramref name="height"/> decode in the current
    /// thread's scope, waiting until it fits; no-op outside a scope (a single decode, not a pipeline).</summary>
    public static void Reserve(long width, long height)
    {
        if (t_scope is { } s) s.Budget.Acquire(s, Math.Min(checked(width * height * BytesPerPixel), s.Budget.Total));
    }

    /// <summary>Gives back bytes kept for decoded images once their batch is delivered.</summary>
    public void Return(long bytes)
    {
        if (bytes <= 0) return;
        lock (_gate) { _kept -= bytes; Monitor.PulseAll(_gate); }
    }

    /// <summary>Wakes waiters to re-check (the item to deliver next has changed).</summary>
    public void Wake() { lock (_gate) Monitor.PulseAll(_gate); }

    private void Acquire(Scope s, long bytes)
    {
        lock (_gate)
        {
            // A scope that already holds memory never waits (a second reservation in one decode): two
            // half-served workers waiting on each other would deadlock.
            while (s.Held == 0 && MustWait(bytes, s.MustProceed()))
            {
                s.Token.ThrowIfCancellationRequested();
                Monitor.Wait(_gate, 100); // woken on release; the timeout re-checks cancellation
            }
            _working += bytes;
            s.Held += bytes;
        }
    }

    private bool MustWait(long bytes, bool nextToDeliver)
    {
        long held = nextToDeliver ? _working : _working + _kept;
        return held > 0 && held + bytes > Total;
    }

    /// <summary>Ends a scope: keeps up to <paramref name="keep"/> bytes charged and returns how many were kept.</summary>
    private long Close(Scope s, long keep)
    {
        if (t_scope == s) t_scope = null;
        lock (_gate)
        {
            long kept = Math.Clamp(keep, 0, s.Held);
            _working -= s.Held;
            _kept += kept;
            s.Held = 0;
            Monitor.PulseAll(_gate);
            return kept;
        }
    }

    /// <summary>One decode's hold on the budget.</summary>
    public sealed class Scope : IDisposable
    {
        internal Scope(DecodeMemoryBudget budget, CancellationToken token, Func<bool> mustProceed)
        {
            Budget = budget; Token = token; MustProceed = mustProceed;
        }

        internal DecodeMemoryBudget Budget { get; }
        internal CancellationToken Token { get; }
        internal Func<bool> MustProceed { get; }
        internal long Held;

        /// <summary>Releases the working memory, keeping up to <paramref name="keepBytes"/> (the decoded pixels)
        /// charged until <see cref="Return"/>; returns the bytes kept (0 when the decode reserved nothing).</summary>
        public long Close(long keepBytes) => Budget.Close(this, keepBytes);

        /// <summary>Releases everything this scope holds.</summary>
        public void Dispose() => Close(0);
    }
}
