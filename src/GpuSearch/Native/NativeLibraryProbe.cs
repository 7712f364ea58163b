// Probes a native library once over a list of candidate names/paths and remembers why it failed,
// so a missing library turns a backend or format "unavailable, because ..." instead of a crash.
using System.Reflection;
using System.Runtime.InteropServices;

namespace GpuSearch.Native;

/// <summary>Result of probing for one native library: a handle, or the reason it is unavailable.</summary>
internal sealed class NativeLibraryProbe
{
    public nint Handle { get; }
    public string? LoadedFrom { get; }
    public string? UnavailableReason { get; }
    public bool IsAvailable => Handle != 0;
    public string LibraryDisplayName { get; }

    private NativeLibraryProbe(string displayName, nint handle, string? loadedFrom, string? reason)
    {
        LibraryDisplayName = displayName;
        Handle = handle;
        LoadedFrom = loadedFrom;
        UnavailableReason = reason;
    }

    /// <summary>Tries each candidate in order with <see cref="NativeLibrary.TryLoad(string, out nint)"/>.</summary>
    public static NativeLibraryProbe Load(string displayName, IEnumerable<string> candidates)
    {
        var tried = new List<string>();
        foreach (var name in candidates)
        {
            if (string.IsNullOrEmpty(name) || tried.Contains(name)) continue;
            tried.Add(name);
            if (NativeLibrary.TryLoad(name, Assembly.GetExecutingAssembly(), null, out var h))
                return new NativeLibraryProbe(displayName, h, name, null);
        }
        return new NativeLibraryProbe(displayName, 0, null,
            $"{displayName} not found (tried: {string.Join(", ", tried)})");
    }

    /// <summary>Address of an exported function; throws naming the symbol if it is missing.</summary>
    public nint Export(string symbol)
    {
        if (!IsAvailable) throw new DllNotFoundException(UnavailableReason);
        if (NativeLibrary.TryGetExport(Handle, symbol, out var p)) return p;
        throw new EntryPointNotFoundException($"{symbol} not exported by {LoadedFrom}");
    }

    /// <summary>Address of an optional export, or 0.</summary>
    public nint TryExport(string symbol) =>
        IsAvailable && NativeLibrary.TryGetExport(Handle, symbol, out var p) ? p : 0;
}
