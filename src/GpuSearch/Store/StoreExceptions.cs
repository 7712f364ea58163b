// Exceptions the index store throws for conditions a user must act on (wrong model, damaged files).
namespace GpuSearch.Store;

/// <summary>The index was built by a different model than the one expected.</summary>
public sealed class FingerprintMismatchException : InvalidOperationException
{
    internal FingerprintMismatchException(string folder, ModelFingerprint stored, ModelFingerprint expected)
        : base(BuildMessage(folder, stored, expected))
    {
        Stored = stored;
        Expected = expected;
    }

    /// <summary>The fingerprint recorded in the index.</summary>
    public ModelFingerprint Stored { get; }

    /// <summary>The fingerprint the caller asked for.</summary>
    public ModelFingerprint Expected { get; }

    private static string BuildMessage(string folder, ModelFingerprint stored, ModelFingerprint expected) =>
        $"The index at {folder} was built with a different model; its vectors are not comparable with this one.\n" +
        $"  index:    {stored.Canonical}\n" +
        $"  expected: {expected.Canonical}\n" +
        "  differences:\n    " + string.Join("\n    ", stored.Differences(expected, "index", "expected")) + "\n" +
        "Rebuild the index with the new model, or open it with the model it was built with.";
}

/// <summary>A store file is damaged in a way the store cannot repair by itself.</summary>
public sealed class StoreCorruptException : IOException
{
    /// <summary>Creates the exception.</summary>
    public StoreCorruptException(string message, Exception? inner = null) : base(message, inner) { }
}
