// An open OpenCL device: one context, programs built from kernels/ with binaries cached on disk.
using System.Text;
using GpuSearch.Native.OpenCL;
using static GpuSearch.Native.OpenCL.ClStatus;

namespace GpuSearch.Compute.OpenCL;

internal sealed unsafe class OpenClDevice : ComputeDevice
{

    private readonly DeviceInfo _info;
    internal nint DeviceId { get; }
    internal ClContextHandle Context { get; }

    public OpenClDevice(DeviceInfo info, nint deviceId)
    {
        _info = info;
        DeviceId = deviceId;
        int st;
        var id = deviceId;
        var ctx = ClApi.F.CreateContext(null, 1, &id, 0, 0, &st);
        ThrowIfFailed(st, "clCreateContext");
        Context = new ClContextHandle(ctx);
    }

    public override DeviceInfo Info => _info;

    protected override DeviceBuffer AllocateCore(long bytes)
    {
        int st;
        var mem = ClApi.F.CreateBuffer(Context.DangerousGetHandle(), ClApi.MemReadWrite, (nuint)bytes, null, &st);
        if (st != ClStatus.Success)
        {
            var e = Create(st, "clCreateBuffer");
            if (e is DeviceOutOfMemoryException)
                throw new DeviceOutOfMemoryException($"clCreateBuffer of {bytes:N0} bytes on {Info.Id} failed: {Name(st)}",
                    "clCreateBuffer", Name(st)) { RequestedBytes = bytes };
            throw e;
        }
        return new OpenClBuffer(this, bytes, new ClMemHandle(mem));
    }

    public override ComputeStream CreateStream() => new OpenClStream(this);

    protected override ComputeProgram BuildProgram(KernelSource source)
    {
        var key = KernelCache.Key(source, OpenClBackend.BuildOptions, Info);
        if (KernelCache.TryRead(key) is { } binary && TryFromBinary(source, binary) is { } cached) return cached;

        var bytes = Encoding.UTF8.GetBytes(source.Text);
        int st;
        nint prog;
        fixed (byte* p = bytes)
        {
            var ptr = p;
            var len = (nuint)bytes.Length;
            prog = ClApi.F.CreateProgramWithSource(Context.DangerousGetHandle(), 1, &ptr, &len, &st);
        }
        ThrowIfFailed(st, "clCreateProgramWithSource");
        var handle = new ClProgramHandle(prog);
        CompileFromSource(source, () => { Build(handle, source); return handle; });
        KernelCache.TryWrite(key, ReadBinary(handle));
        return new OpenClProgram(source.FileName, handle);
    }

    private OpenClProgram? TryFromBinary(KernelSource source, byte[] binary)
    {
        int st, binStatus;
        nint prog;
        var id = DeviceId;
        fixed (byte* b = binary)
        {
            var ptr = b;
            var len = (nuint)binary.Length;
            prog = ClApi.F.CreateProgramWithBinary(Context.DangerousGetHandle(), 1, &id, &len, &ptr, &binStatus, &st);
        }
        if (st != 0 || binStatus != 0) return null;
        var handle = new ClProgramHandle(prog);
        try
        {
            Build(handle, source);
            return new OpenClProgram(source.FileName, handle);
        }
        catch (KernelBuildException)
        {
            handle.Dispose(); // stale binary (driver changed underneath): rebuild from source
            return null;
        }
    }

    private void Build(ClProgramHandle program, KernelSource source)
    {
        var opts = Encoding.UTF8.GetBytes(OpenClBackend.BuildOptions + "\0");
        var id = DeviceId;
        int st;
        fixed (byte* o = opts) st = ClApi.F.BuildProgram(program.DangerousGetHandle(), 1, &id, o, 0, 0);
        if (st == ClStatus.BuildProgramFailure || st == -43)
        {
            var log = BuildLog(program);
            program.Dispose();
            throw new KernelBuildException(source.FileName, $"{OpenClBackend.BuildOptions} {source.Defines}".Trim(), log, $"{Info.Id} ({Info.Name})");
        }
        ThrowIfFailed(st, "clBuildProgram");
    }

    private string BuildLog(ClProgramHandle program)
    {
        nuint size = 0;
        if (ClApi.F.GetProgramBuildInfo(program.DangerousGetHandle(), DeviceId, ClApi.ProgramBuildLog, 0, null, &size) != 0) return "(no build log)";
        var buf = new byte[(int)size];
        fixed (byte* b = buf) ClApi.F.GetProgramBuildInfo(program.DangerousGetHandle(), DeviceId, ClApi.ProgramBuildLog, size, b, null);
        return Encoding.UTF8.GetString(buf).TrimEnd('\0', '\n');
    }

    private static byte[] ReadBinary(ClProgramHandle program)
    {
        nuint size = 0;
        if (ClApi.F.GetProgramInfo(program.DangerousGetHandle(), ClApi.ProgramBinarySizes, (nuint)sizeof(nuint), &size, null) != 0 || size == 0)
            return [];
        var buf = new byte[(int)size];
        fixed (byte* b = buf)
        {
            var ptr = b;
            if (ClApi.F.GetProgramInfo(program.DangerousGetHandle(), ClApi.ProgramBinaries, (nuint)sizeof(nint), &ptr, null) != 0) return [];
        }
        return buf;
    }

    protected override void DisposeCore() => Context.Dispose();
}

internal sealed class OpenClBuffer(OpenClDevice device, long length, ClMemHandle mem) : DeviceBuffer(device, length)
{
    public ClMemHandle Mem { get; } = mem;
    protected override void Free() => Mem.Dispose();
}
