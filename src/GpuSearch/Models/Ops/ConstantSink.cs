namespace GpuSearch.Models.Ops;

/// <summary>
/// Receives a constant made on the host piece by piece: <paramref name="piece"/> belongs at element
/// <paramref name="offset"/>. Big derived constants (Winograd's U is 4× the 3×3 weights) go to the device this way
/// through one small buffer, so the whole never exists on the host (every page of it would be touched twice).
/// </summary>
internal delegate void ConstantSink(ReadOnlySpan<float> piece, long offset);
