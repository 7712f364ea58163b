// Runs a PreprocessSpec on a compute device: RGB8 pixels (host span or device buffer) in, one image of an
// NCHW [B, 3, H, W] fp32/fp16 device tensor out. Plans (weight tables) are made on the host once per
// source size and kept on the device; the float window between the two passes is one reused buffer.
// Not thread-safe: one preprocessor per stream.
using GpuSearch.Compute;

namespace GpuSearch.Imaging;

/// <summary>GPU image preprocessing for one spec on one device. Owns its device buffers.</summary>
internal sealed partial class GpuPreprocessor : IDisposable
{
    /// <summary>Work-group shape of both passes (x = columns, y = rows); 128 work-items fit every device.</summary>
    public const int LocalX = 16, LocalY = 8;

    /// <summary>How many source sizes keep their weight tables on the device before the cache is flushed.</summary>
    public const int MaxCachedPlans = 128;

    private readonly ComputeStream _stream, _tableStream;
    private readonly ComputeKernel _horizontal, _vertical, _contentBox;
    private readonly Dictionary<(int, int), PlanBuffers> _plans = new();
    private DeviceBuffer? _window, _staging;
    private bool _disposed;

    /// <summary>The spec this preprocessor applies.</summary>
    public PreprocessSpec Spec { get; }

    /// <summary>The device the tensors live on.</summary>
    public ComputeDevice Device { get; }

    /// <summary>Bytes per output element (4 for fp32, 2 for fp16).</summary>
    public int ElementBytes => Spec.DType == TensorDType.Fp16 ? 2 : 4;

    /// <summary>Creates a preprocessor; compiles the kernel variant the spec needs.</summary>
    /// <param name="device">Device to run on.</param>
    /// <param name="spec">What to do; validated here.</param>
    /// <param name="stream">Stream to enqueue on (default: the device's default stream).</param>
    /// <param name="tableStream">
    /// Stream that uploads a new source size's weight tables (default: <paramref name="stream"/>). The upload blocks
    /// until the tables are on the device, which on the run stream means until the work queued ahead has finished;
    /// an otherwise idle or transfer-only stream avoids that stall.
    /// </param>
    /// <exception cref="ArgumentException">The spec is invalid; the message names the field.</exception>
    public GpuPreprocessor(ComputeDevice device, PreprocessSpec spec, ComputeStream? stream = null, ComputeStream? tableStream = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        if (stream is not null && stream.Device != device)
            throw new ArgumentException("The stream belongs to a different device", nameof(stream));
        if (tableStream is not null && tableStream.Device != device)
            throw new ArgumentException("The table stream belongs to a different device", nameof(tableStream));
        Device = device;
        Spec = spec;
        _stream = stream ?? device.Stream;
        _tableStream = tableStream ?? _stream;
        var defines = new KernelDefines()
            .Set("RESAMPLE_U8", spec.Resize?.Arithmetic == ResampleArithmetic.Float ? 0 : 1)
            .Set("OUT_DTYPE", spec.DType == TensorDType.Fp16 ? "DTYPE_F16" : "DTYPE_F32");
        var program = device.GetProgram("preprocess.cl", defines);
        _horizontal = program.GetKernel("preprocess_resample_h");
        _vertical = program.GetKernel("preprocess_resample_v");
        _contentBox = program.GetKernel("preprocess_content_box");
    }

    /// <summary>
    /// The output image size for a source of the given size (fixed for specs that end in a crop or exact resize).
    /// Host arithmetic only, so any thread may ask (decode workers check sizes outside the device lock); it does
    /// not touch the plan cache or the device.
    /// </summary>
    public (int Width, int Height) OutputSize(int width, int height)
    {
        var plan = new PreprocessPlan(Spec, width, height);
        return (plan.OutputWidth, plan.OutputHeight);
    }

    /// <summary>
    /// Allocates an uninitialized [batch, 3, height, width] tensor of the spec's dtype (rounded up to whole
    /// 4-byte words so <see cref="ComputeStream.Fill(DeviceBuffer, uint, long, long)"/> can clear an odd-sized fp16 tensor).
    /// </summary>
    public DeviceBuffer AllocateBatch(int batch, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        return Device.Allocate(((long)batch * 3 * width * height * ElementBytes + 3) & ~3L);
    }

    /// <summary>
    /// Uploads an RGB8 interleaved image (rows of <c>3 * width</c> bytes) and writes it, preprocessed, into
    /// slot <paramref name="slot"/> of <paramref name="output"/> ([B, 3, H, W] with H, W = <see cref="OutputSize"/>).
    /// Returns once the pixels are copied; the kernels may still be running.
    /// </summary>
    /// <exception cref="ArgumentException">Wrong pixel count, or the output tensor is too small for the slot.</exception>
    public void Run(ReadOnlySpan<byte> rgb, int width, int height, DeviceBuffer output, int slot)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        long bytes = 3L * width * height;
        if (rgb.Length != bytes)
            throw new ArgumentException($"Expected {bytes} bytes of RGB8 for {width}x{height}, got {rgb.Length}", nameof(rgb));
        _staging = EnsureCapacity(_staging, bytes);
        _stream.Upload(_staging, rgb);
        Run(_staging, 0, width, height, 3 * width, output, slot);
    }

    /// <summary>
    /// Preprocesses an RGB8 image already on the device (e.g. a decoder's output) into slot
    /// <paramref name="slot"/> of <paramref name="output"/>. Enqueues only; synchronize the stream to wait.
    /// </summary>
    /// <param name="rgb">Device buffer holding the pixels.</param>
    /// <param name="offsetBytes">Byte offset of the first pixel in <paramref name="rgb"/>.</param>
    /// <param name="width">Image width.</param>
    /// <param name="height">Image height.</param>
    /// <param name="strideBytes">Bytes from one row to the next (at least <c>3 * width</c>).</param>
    /// <param name="output">[B, 3, H, W] tensor of the spec's dtype.</param>
    /// <param name="slot">Batch index to write.</param>
    /// <remarks>
    /// With <see cref="PreprocessSpec.Trim"/> this first finds the content box on the device and waits for it (one
    /// round trip); <see cref="FindContentBoxes"/> plus the <see cref="ContentBox"/> overload make one per group instead.
    /// </remarks>
    public void Run(DeviceBuffer rgb, long offsetBytes, int width, int height, int strideBytes, DeviceBuffer output, int slot)
    {
        CheckImage(rgb, offsetBytes, width, height, strideBytes);
        var box = Spec.Trim is null ? ContentBox.Whole(width, height)
            : FindContentBoxes(rgb, [new DeviceImage(offsetBytes, width, height, strideBytes)])[0];
        RunBox(rgb, offsetBytes, strideBytes, box, output, slot);
    }

    /// <summary>
    /// Preprocesses only <paramref name="box"/> of an RGB8 image on the device (e.g. the box <see cref="FindContentBoxes"/>
    /// found) into slot <paramref name="slot"/> of <paramref name="output"/>. Enqueues only.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The box is empty or not inside the image.</exception>
    public void Run(DeviceBuffer rgb, long offsetBytes, int width, int height, int strideBytes, ContentBox box, DeviceBuffer output, int slot)
    {
        CheckImage(rgb, offsetBytes, width, height, strideBytes);
        if (box.Width < 1 || box.Height < 1 || box.X < 0 || box.Y < 0 || box.X > width - box.Width || box.Y > height - box.Height)
            throw new ArgumentOutOfRangeException(nameof(box), box, $"The box is not a non-empty part of the {width}x{height} image");
        RunBox(rgb, offsetBytes, strideBytes, box, output, slot);
    }

    private void CheckImage(DeviceBuffer rgb, long offsetBytes, int width, int height, int strideBytes)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(rgb);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (strideBytes < 3L * width)
            throw new ArgumentOutOfRangeException(nameof(strideBytes), strideBytes, $"A row of {width} RGB8 pixels needs at least {3L * width} bytes");
        rgb.CheckRange(offsetBytes, (long)strideBytes * (height - 1) + 3L * width, nameof(rgb));
        if (rgb.Device != Device) throw new ArgumentException("Buffers must live on the preprocessor's device", nameof(rgb));
    }

    private void RunBox(DeviceBuffer rgb, long imageOffset, int strideBytes, ContentBox box, DeviceBuffer output, int slot)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        if (output.Device != Device)
            throw new ArgumentException("Buffers must live on the preprocessor's device", nameof(output));
        long offsetBytes = imageOffset + (long)box.Y * strideBytes + 3L * box.X;
        int width = box.Width, height = box.Height;

        var pb = GetPlan(width, height);
        var plan = pb.Plan;
        long imageBytes = plan.OutputElements * ElementBytes;
        if (output.Length < (slot + 1) * imageBytes)
            throw new ArgumentException(
                $"Output tensor of {output.Length} bytes has no slot {slot} for {plan.OutputWidth}x{plan.OutputHeight} {Spec.DType} images ({imageBytes} bytes each)",
                nameof(output));

        int winW = Math.Max(plan.UsedColumns, 1), winH = Math.Max(plan.UsedRows, 1);
        _window = EnsureCapacity(_window, 3L * winW * winH * sizeof(float));
        if (plan.UsedColumns > 0 && plan.UsedRows > 0)
        {
            _stream.Launch(_horizontal, [plan.UsedColumns, plan.UsedRows], [LocalX, LocalY], new KernelArgs()
                .Buffer(rgb).Long(offsetBytes).Int(width).Int(height).Int(strideBytes)
                .Int(plan.PadLeft).Int(plan.PadTop).Float(plan.Fill[0]).Float(plan.Fill[1]).Float(plan.Fill[2])
                .Buffer(pb.HBounds).Buffer(pb.HWeights).Int(plan.Horizontal.Taps)
                .Int(plan.UsedColumnStart).Int(plan.UsedRowStart).Int(winW).Int(winH).Buffer(_window));
        }
        _stream.Launch(_vertical, [plan.OutputWidth, plan.OutputHeight], [LocalX, LocalY], new KernelArgs()
            .Buffer(_window).Int(winW).Int(plan.UsedColumnStart).Int(plan.UsedRowStart)
            .Int(plan.ResizedWidth).Int(plan.ResizedHeight).Int(plan.OffsetX).Int(plan.OffsetY)
            .Buffer(pb.VBounds).Buffer(pb.VWeights).Int(plan.Vertical.Taps)
            .Float(plan.Fill[0]).Float(plan.Fill[1]).Float(plan.Fill[2]).Int(Spec.ChannelOrder == ChannelOrder.Bgr ? 1 : 0)
            .Float(plan.Multiplier[0]).Float(plan.Multiplier[1]).Float(plan.Multiplier[2])
            .Float(plan.Bias[0]).Float(plan.Bias[1]).Float(plan.Bias[2])
            .Buffer(output).Int(plan.OutputWidth).Int(plan.OutputHeight).Int(slot));
    }

    /// <summary>The host plan for a source size (cached with its device tables).</summary>
    public PreprocessPlan Plan(int width, int height) => GetPlan(width, height).Plan;

    /// <summary>Makes sure the weight tables for this source size are on the device (a no-op when cached).</summary>
    public void Prepare(int width, int height) => GetPlan(width, height);

    private PlanBuffers GetPlan(int width, int height)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_plans.TryGetValue((width, height), out var pb)) return pb;
        var plan = new PreprocessPlan(Spec, width, height);
        if (_plans.Count >= MaxCachedPlans)
        {
            // Kernels still queued may read the tables: drain the stream before freeing them.
            _stream.Synchronize();
            foreach (var old in _plans.Values) old.Dispose();
            _plans.Clear();
        }
        pb = new PlanBuffers(plan, Upload(plan.Horizontal.Bounds()), UploadWeights(plan.Horizontal),
            Upload(plan.Vertical.Bounds()), UploadWeights(plan.Vertical));
        _plans[(width, height)] = pb;
        return pb;
    }

    private DeviceBuffer UploadWeights(PreprocessAxis axis) =>
        Spec.Resize?.Arithmetic == ResampleArithmetic.Float ? Upload(axis.FloatWeights()) : Upload(axis.FixedWeights());

    private DeviceBuffer Upload<T>(T[] data) where T : unmanaged
    {
        var b = Device.Allocate(Math.Max(data.Length, 1) * (long)System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        _tableStream.Upload<T>(b, data); // blocking: the tables are on the device when this returns, for any stream
        return b;
    }

    private DeviceBuffer EnsureCapacity(DeviceBuffer? buffer, long bytes)
    {
        if (buffer is not null && buffer.Length >= bytes) return buffer;
        if (buffer is not null)
        {
            _stream.Synchronize();
            buffer.Dispose();
        }
        // Grow geometrically so a stream of slightly larger images does not reallocate every time.
        return Device.Allocate(Math.Max(bytes, (buffer?.Length ?? 0) * 3 / 2));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_stream.IsDisposed) _stream.Synchronize();
        foreach (var pb in _plans.Values) pb.Dispose();
        _plans.Clear();
        _window?.Dispose();
        _boxes?.Dispose();
        _staging?.Dispose();
    }

    private sealed record PlanBuffers(PreprocessPlan Plan, DeviceBuffer HBounds, DeviceBuffer HWeights,
        DeviceBuffer VBounds, DeviceBuffer VWeights) : IDisposable
    {
        public void Dispose()
        {
            HBounds.Dispose(); HWeights.Dispose(); VBounds.Dispose(); VWeights.Dispose();
        }
    }
}
