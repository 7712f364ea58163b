// What a model expects its input images to look like, as data: pad → resize → centre crop → channel
// order → scale/mean/std → layout/dtype. It travels with the model as JSON (PreprocessSpecJson), so
// every field here is part of a stable schema; Validate names the offending field in its messages.
namespace GpuSearch.Imaging;

/// <summary>Three per-channel values (mean, std, fill colour). A value type so specs compare by value.</summary>
/// <param name="C0">First channel.</param>
/// <param name="C1">Second channel.</param>
/// <param name="C2">Third channel.</param>
public readonly record struct ChannelValues(double C0, double C1, double C2)
{
    /// <summary>The same value on all three channels.</summary>
    public static ChannelValues All(double v) => new(v, v, v);

    /// <summary>Channel <paramref name="i"/> (0..2).</summary>
    public double this[int i] => i switch
    {
        0 => C0,
        1 => C1,
        2 => C2,
        _ => throw new ArgumentOutOfRangeException(nameof(i), i, "A channel index is 0, 1 or 2"),
    };
}

/// <summary>The resize step.</summary>
public sealed record ResizeSpec
{
    /// <summary>How the output size is derived from the source size.</summary>
    public ResizeMode Mode { get; init; } = ResizeMode.ShorterSide;
    /// <summary>Target of the shorter side (<see cref="ResizeMode.ShorterSide"/>) or longer side (<see cref="ResizeMode.LongerSidePad"/>).</summary>
    public int Size { get; init; }
    /// <summary>Output width for <see cref="ResizeMode.Exact"/>.</summary>
    public int Width { get; init; }
    /// <summary>Output height for <see cref="ResizeMode.Exact"/>.</summary>
    public int Height { get; init; }
    /// <summary>
    /// Optional cap on the longer side for <see cref="ResizeMode.ShorterSide"/> (torchvision <c>max_size</c>); 0 = none.
    /// </summary>
    public int MaxSize { get; init; }
    /// <summary>Resampling filter.</summary>
    public Interpolation Interpolation { get; init; } = Interpolation.Bilinear;
    /// <summary>
    /// Widen the filter by the scale factor when downscaling (PIL, torchvision <c>antialias=True</c>). Off gives
    /// torch's plain interpolate (2 or 4 taps). Ignored by <see cref="Interpolation.Nearest"/>.
    /// </summary>
    public bool Antialias { get; init; } = true;
    /// <summary>Arithmetic of the resampling passes.</summary>
    public ResampleArithmetic Arithmetic { get; init; } = ResampleArithmetic.Uint8;
}

/// <summary>A width × height pair (centre crop size).</summary>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
public readonly record struct CropSize(int Width, int Height);

/// <summary>A complete, validated-on-demand description of image preprocessing for one model.</summary>
public sealed record PreprocessSpec
{
    /// <summary>The schema identifier written to and required from JSON.</summary>
    public const string SchemaId = "gpusearch.preprocess/1";

    /// <summary>Largest output side accepted (guards against absurd specs allocating gigabytes).</summary>
    public const int MaxSide = 16384;

    /// <summary>
    /// Trim uniform margins first (null: none): the rest of the spec sees only the content box the device finds. Needs a
    /// fixed output size (exact or longer-side resize, or a centre crop), since the box changes from image to image.
    /// </summary>
    public TrimSpec? Trim { get; init; }
    /// <summary>Pad the source to a centred square with <see cref="Fill"/> before resizing (trademark drawings).</summary>
    public bool PadToSquare { get; init; }
    /// <summary>The resize step, or null for none.</summary>
    public ResizeSpec? Resize { get; init; }
    /// <summary>
    /// Centre crop of the resized image, or null for none. A crop larger than the image pads with
    /// <see cref="Fill"/> (torchvision CenterCrop). Offset: <c>round((size - crop) / 2)</c>, half to even.
    /// </summary>
    public CropSize? CenterCrop { get; init; }
    /// <summary>Fill colour for every padding, in source RGB order, each an integer 0..255.</summary>
    public ChannelValues Fill { get; init; }
    /// <summary>Order of the output channels.</summary>
    public ChannelOrder ChannelOrder { get; init; } = ChannelOrder.Rgb;
    /// <summary>Multiplier applied to the 0..255 pixel values first (e.g. 1/255).</summary>
    public double Scale { get; init; } = 1.0;
    /// <summary>Subtracted after scaling, per output channel (in <see cref="ChannelOrder"/> order).</summary>
    public ChannelValues Mean { get; init; }
    /// <summary>Divides after the mean, per output channel (in <see cref="ChannelOrder"/> order).</summary>
    public ChannelValues Std { get; init; } = ChannelValues.All(1);
    /// <summary>Output memory layout.</summary>
    public TensorLayout Layout { get; init; } = TensorLayout.Nchw;
    /// <summary>Output element type.</summary>
    public TensorDType DType { get; init; } = TensorDType.Fp32;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field (JSON path style).</summary>
    public void Validate()
    {
        if (Trim is { } t)
        {
            t.Validate();
            if (CenterCrop is null && Resize?.Mode is not (ResizeMode.Exact or ResizeMode.LongerSidePad))
                Fail("trim", "needs a fixed output size: resize mode exact or longerSidePad, or a centerCrop");
        }
        if (Resize is { } r)
        {
            if (!Enum.IsDefined(r.Mode)) Fail("resize.mode", $"is not a known mode ({(int)r.Mode})");
            if (!Enum.IsDefined(r.Interpolation)) Fail("resize.interpolation", $"is not a known filter ({(int)r.Interpolation})");
            if (!Enum.IsDefined(r.Arithmetic)) Fail("resize.arithmetic", $"is not a known arithmetic ({(int)r.Arithmetic})");
            switch (r.Mode)
            {
                case ResizeMode.ShorterSide or ResizeMode.LongerSidePad:
                    CheckSide("resize.size", r.Size, $"is required by mode {JsonName(r.Mode)}");
                    if (r.Width != 0 || r.Height != 0) Fail("resize.width", $"must be absent with mode {JsonName(r.Mode)} (use size)");
                    if (r.MaxSize != 0 && r.Mode != ResizeMode.ShorterSide) Fail("resize.maxSize", "only applies to mode shorterSide");
                    if (r.MaxSize != 0 && r.MaxSize <= r.Size)
                        Fail("resize.maxSize", $"must be greater than resize.size ({r.Size}), got {r.MaxSize}");
                    if (r.MaxSize is < 0 or > MaxSide) Fail("resize.maxSize", $"must be 0 (none) or 1..{MaxSide}, got {r.MaxSize}");
                    break;
                case ResizeMode.Exact:
                    CheckSide("resize.width", r.Width, "is required by mode exact");
                    CheckSide("resize.height", r.Height, "is required by mode exact");
                    if (r.Size != 0) Fail("resize.size", "must be absent with mode exact (use width and height)");
                    if (r.MaxSize != 0) Fail("resize.maxSize", "only applies to mode shorterSide");
                    break;
                case ResizeMode.None:
                    if (r.Size != 0 || r.Width != 0 || r.Height != 0 || r.MaxSize != 0)
                        Fail("resize.mode", "is none, so size, width, height and maxSize must be absent");
                    break;
            }
        }
        if (CenterCrop is { } c)
        {
            CheckSide("centerCrop.width", c.Width, "must be given");
            CheckSide("centerCrop.height", c.Height, "must be given");
        }
        for (int i = 0; i < 3; i++)
        {
            var f = Fill[i];
            if (!double.IsFinite(f) || f < 0 || f > 255 || f != Math.Floor(f))
                Fail($"fill[{i}]", $"must be an integer 0..255, got {f}");
            if (!double.IsFinite(Mean[i])) Fail($"mean[{i}]", $"must be finite, got {Mean[i]}");
            if (!double.IsFinite(Std[i]) || Std[i] == 0) Fail($"std[{i}]", $"must be finite and non-zero, got {Std[i]}");
        }
        if (!double.IsFinite(Scale) || Scale == 0) Fail("scale", $"must be finite and non-zero, got {Scale}");
        if (!Enum.IsDefined(ChannelOrder)) Fail("channelOrder", $"is not a known order ({(int)ChannelOrder})");
        if (!Enum.IsDefined(Layout)) Fail("layout", $"is not a known layout ({(int)Layout})");
        if (!Enum.IsDefined(DType)) Fail("dtype", $"is not a known dtype ({(int)DType})");
    }

    /// <summary>An enum member as the JSON schema spells it (camelCase), so messages match what users wrote.</summary>
    private static string JsonName(ResizeMode m) => char.ToLowerInvariant(m.ToString()[0]) + m.ToString()[1..];

    private static void CheckSide(string field, int value, string whenMissing)
    {
        if (value == 0) Fail(field, whenMissing);
        if (value is < 1 or > MaxSide) Fail(field, $"must be 1..{MaxSide}, got {value}");
    }

    private static void Fail(string field, string problem) =>
        throw new ArgumentException($"Invalid preprocess spec: {field} {problem}", field);
}
