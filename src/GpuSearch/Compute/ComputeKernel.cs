// Compiled programs, kernels and typed kernel arguments, shared by the OpenCL and CUDA backends.
namespace GpuSearch.Compute;

/// <summary>A compiled kernel file; owns its kernels.</summary>
internal abstract class ComputeProgram : IDisposable
{
    private readonly Dictionary<string, ComputeKernel> _kernels = new();

    /// <summary>The kernel file this was built from.</summary>
    public string KernelFile { get; }

    /// <summary>Initializes the base.</summary>
    protected ComputeProgram(string kernelFile) => KernelFile = kernelFile;

    /// <summary>Returns the entry point <paramref name="name"/>; throws naming the file if absent.</summary>
    public ComputeKernel GetKernel(string name)
    {
        lock (_kernels)
        {
            if (!_kernels.TryGetValue(name, out var k)) _kernels[name] = k = CreateKernel(name);
            return k;
        }
    }

    /// <summary>Backend kernel lookup.</summary>
    protected abstract ComputeKernel CreateKernel(string name);

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_kernels)
        {
            foreach (var k in _kernels.Values) k.Dispose();
            _kernels.Clear();
        }
        DisposeCore();
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the native program/module.</summary>
    protected abstract void DisposeCore();
}

/// <summary>One kernel entry point.</summary>
internal abstract class ComputeKernel : IDisposable
{
    /// <summary>Entry-point name.</summary>
    public string Name { get; }
    /// <summary>Initializes the base.</summary>
    protected ComputeKernel(string name) => Name = name;
    /// <inheritdoc />
    public virtual void Dispose() => GC.SuppressFinalize(this);
    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>Kind of a kernel argument.</summary>
internal enum KernelArgKind
{
    /// <summary>A device buffer (global pointer).</summary>
    Buffer,
    /// <summary>32-bit signed integer.</summary>
    Int32,
    /// <summary>32-bit unsigned integer.</summary>
    UInt32,
    /// <summary>64-bit signed integer.</summary>
    Int64,
    /// <summary>32-bit float.</summary>
    Float32,
}

/// <summary>One typed kernel argument.</summary>
internal readonly record struct KernelArg(KernelArgKind Kind, DeviceBuffer? Buffer, long Bits);

/// <summary>Ordered kernel arguments, built fluently: <c>new KernelArgs().Buffer(a).Int(n)</c>.</summary>
internal sealed class KernelArgs
{
    private readonly List<KernelArg> _args = new(8);

    /// <summary>The arguments in order.</summary>
    public IReadOnlyList<KernelArg> Items => _args;

    /// <summary>Appends a buffer argument.</summary>
    public KernelArgs Buffer(DeviceBuffer buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ObjectDisposedException.ThrowIf(buffer.IsDisposed, buffer);
        _args.Add(new KernelArg(KernelArgKind.Buffer, buffer, 0));
        return this;
    }

    /// <summary>Appends an <c>int</c>.</summary>
    public KernelArgs Int(int value) { _args.Add(new KernelArg(KernelArgKind.Int32, null, value)); return this; }
    /// <summary>Appends a <c>uint</c>.</summary>
    public KernelArgs UInt(uint value) { _args.Add(new KernelArg(KernelArgKind.UInt32, null, value)); return this; }
    /// <summary>Appends a <c>long</c>.</summary>
    public KernelArgs Long(long value) { _args.Add(new KernelArg(KernelArgKind.Int64, null, value)); return this; }
    /// <summary>Appends a <c>float</c>.</summary>
    public KernelArgs Float(float value)
    {
        _args.Add(new KernelArg(KernelArgKind.Float32, null, BitConverter.SingleToInt32Bits(value)));
        return this;
    }
}
