// The fixed properties of an index folder, chosen at creation and stored in the catalog's meta table.
namespace GpuSearch.Store;

/// <summary>How an index stores its vectors.</summary>
/// <param name="Fingerprint">The model that makes the vectors; its <see cref="ModelFingerprint.Dim"/> is the vector width.</param>
/// <param name="StorageDType">Segment element type: <see cref="NpyDType.Float32"/> or <see cref="NpyDType.Float16"/>.</param>
/// <param name="SegmentCapacityRows">Rows per segment before it is sealed (checksummed, never written again).</param>
internal sealed record IndexMetadata(ModelFingerprint Fingerprint, NpyDType StorageDType = NpyDType.Float32, int SegmentCapacityRows = 65536)
{
    /// <summary>Vector width.</summary>
    public int Dim => Fingerprint.Dim;

    /// <summary>When the index was created (set by the store).</summary>
    public DateTimeOffset Created { get; init; } = DateTimeOffset.UtcNow;

    internal void Validate()
    {
        if (StorageDType is not (NpyDType.Float32 or NpyDType.Float16))
            throw new ArgumentException($"segments store float32 or float16, not {StorageDType}", nameof(StorageDType));
        if (Dim <= 0) throw new ArgumentException($"vector width must be positive, got {Dim}", nameof(Fingerprint));
        if (SegmentCapacityRows <= 0) throw new ArgumentException("segment capacity must be positive", nameof(SegmentCapacityRows));
    }
}
