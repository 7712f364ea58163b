// Enumerates every backend's devices once and resolves selection strings:
// auto | cpu | cuda | opencl | cuda:N | opencl:N | all, comma-separated for several devices.
namespace GpuSearch.Compute;

/// <summary>All compute devices on this machine, and why any backend is unavailable.</summary>
internal sealed class DeviceRegistry
{
    private static readonly Lazy<DeviceRegistry> LazyDefault = new(() => new DeviceRegistry(DefaultProviders()));

    /// <summary>The process-wide registry over every built-in backend.</summary>
    public static DeviceRegistry Default => LazyDefault.Value;

    /// <summary>Built-in backends in preference order.</summary>
    private static IEnumerable<IBackendProvider> DefaultProviders()
    {
        yield return Cuda.CudaBackend.Instance;
        yield return OpenCL.OpenClBackend.Instance;
    }

    /// <summary>The backends in preference order.</summary>
    public IReadOnlyList<IBackendProvider> Backends { get; }

    /// <summary>Creates a registry over the given providers.</summary>
    public DeviceRegistry(IEnumerable<IBackendProvider> providers) => Backends = providers.ToArray();

    /// <summary>Every device of every available backend.</summary>
    public IReadOnlyList<DeviceInfo> Devices => Backends.SelectMany(b => b.Devices).ToArray();

    /// <summary>Resolves a selection string to device descriptions.</summary>
    /// <exception cref="DeviceNotFoundException">Nothing matches; the message lists what exists.</exception>
    public IReadOnlyList<DeviceInfo> Resolve(string selection)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(selection);
        var result = new List<DeviceInfo>();
        foreach (var part in selection.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            foreach (var d in ResolveOne(part.ToLowerInvariant()))
                if (!result.Contains(d)) result.Add(d);
        return result;
    }

    private IReadOnlyList<DeviceInfo> ResolveOne(string s)
    {
        var all = Devices;
        IReadOnlyList<DeviceInfo> found = s switch
        {
            "all" => all,
            "auto" => Auto(all),
            "cpu" => all.Where(d => d.IsCpu).Take(1).ToArray(),
            "gpu" => all.Where(d => !d.IsCpu).Take(1).ToArray(),
            "cuda" => all.Where(d => d.Backend == ComputeBackend.Cuda).Take(1).ToArray(),
            "opencl" => all.Where(d => d.Backend == ComputeBackend.OpenCL).Take(1).ToArray(),
            _ => all.Where(d => d.Id == s).ToArray(),
        };
        if (found.Count > 0) return found;
        throw new DeviceNotFoundException($"No device matches '{s}'. {Describe()}");
    }

    /// <summary>auto prefers a CUDA GPU, then an OpenCL GPU, then a CPU device (PoCL).</summary>
    private static IReadOnlyList<DeviceInfo> Auto(IReadOnlyList<DeviceInfo> all)
    {
        var pick = all.FirstOrDefault(d => d.Backend == ComputeBackend.Cuda)
                   ?? all.FirstOrDefault(d => d.Backend == ComputeBackend.OpenCL && !d.IsCpu)
                   ?? all.FirstOrDefault();
        return pick is null ? [] : [pick];
    }

    /// <summary>Opens the first device the selection names.</summary>
    public ComputeDevice Open(string selection = "auto") => Open(Resolve(selection)[0]);

    /// <summary>Opens every device the selection names (for sharding).</summary>
    public IReadOnlyList<ComputeDevice> OpenAll(string selection)
    {
        var opened = new List<ComputeDevice>();
        try
        {
            foreach (var d in Resolve(selection)) opened.Add(Open(d));
            return opened;
        }
        catch
        {
            foreach (var d in opened) d.Dispose();
            throw;
        }
    }

    /// <summary>Opens a specific device.</summary>
    public ComputeDevice Open(DeviceInfo device) =>
        Backends.First(b => b.Backend == device.Backend).Open(device);

    /// <summary>A one-paragraph summary of devices and unavailable backends, for error messages.</summary>
    public string Describe()
    {
        var devices = Devices;
        var list = devices.Count == 0 ? "No devices exist." :
            "Devices: " + string.Join("; ", devices.Select(d => $"{d.Id} = {d.Name}")) + ".";
        var why = Backends.Where(b => b.UnavailableReason is not null).Select(b => $"{b.Backend}: {b.UnavailableReason}");
        var whyText = string.Join("; ", why);
        return whyText.Length == 0 ? list : $"{list} Unavailable: {whyText}.";
    }
}
