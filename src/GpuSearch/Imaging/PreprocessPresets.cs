// Named PreprocessSpecs for the common model families. Each states the convention it reproduces;
// a model whose exporter used something else should ship its own JSON instead of bending a preset.
namespace GpuSearch.Imaging;

/// <summary>Built-in preprocessing presets.</summary>
public static class PreprocessPresets
{
    /// <summary>ImageNet channel means (RGB) used by torchvision models.</summary>
    public static readonly ChannelValues ImageNetMean = new(0.485, 0.456, 0.406);
    /// <summary>ImageNet channel standard deviations (RGB) used by torchvision models.</summary>
    public static readonly ChannelValues ImageNetStd = new(0.229, 0.224, 0.225);

    /// <summary>
    /// torchvision's ImageNet evaluation transform on a PIL image: <c>Resize(256)</c> (bilinear, antialiased,
    /// PIL 8-bit arithmetic) → <c>CenterCrop(224)</c> → <c>ToTensor</c> → <c>Normalize(ImageNet)</c>.
    /// </summary>
    public static PreprocessSpec Torchvision { get; } = new()
    {
        Resize = new ResizeSpec { Mode = ResizeMode.ShorterSide, Size = 256 },
        CenterCrop = new CropSize(224, 224),
        Scale = 1.0 / 255.0,
        Mean = ImageNetMean,
        Std = ImageNetStd,
    };

    /// <summary>
    /// Keras MobileNet (<c>preprocess_input</c> mode "tf"): exact 224 × 224 bilinear resize without antialias
    /// (as <c>tf.image.resize</c> does), then <c>x / 127.5 - 1</c>.
    /// </summary>
    public static PreprocessSpec KerasMobileNet { get; } = new()
    {
        Resize = new ResizeSpec
        {
            Mode = ResizeMode.Exact, Width = 224, Height = 224, Antialias = false, Arithmetic = ResampleArithmetic.Float,
        },
        Scale = 1.0 / 127.5,
        Mean = ChannelValues.All(1),
    };

    /// <summary>
    /// Caffe (VGG/ResNet-style): exact 256 × 256 resize → centre crop 224, BGR, mean subtraction
    /// [104, 117, 123] (B, G, R), no scaling. Keras' "caffe" mode uses [103.939, 116.779, 123.68]; set them in JSON if needed.
    /// </summary>
    public static PreprocessSpec Caffe { get; } = new()
    {
        Resize = new ResizeSpec { Mode = ResizeMode.Exact, Width = 256, Height = 256 },
        CenterCrop = new CropSize(224, 224),
        ChannelOrder = ChannelOrder.Bgr,
        Mean = new ChannelValues(104, 117, 123),
    };

    /// <summary>
    /// Letterbox for drawings that must not lose their margins (trademarks, patents) on a torchvision ImageNet model:
    /// pad to a centred white square, resize to 224 × 224 (bilinear, antialiased), ImageNet normalization. By name,
    /// <c>letterbox</c> is geometry only and takes the model's own normalization (<see cref="Get(string, PreprocessSpec?)"/>);
    /// this is what it gives for a torchvision model.
    /// </summary>
    public static PreprocessSpec Letterbox { get; } = Letterboxed(Torchvision, trim: false);

    /// <summary>Preset names as accepted by <see cref="Get"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["torchvision", "keras-mobilenet", "caffe", "letterbox", "trim-letterbox"];

    /// <summary>
    /// Presets that only set geometry (margins, padding, resize); channel order, scale, mean, std and dtype come from
    /// the model's own spec, so they work for a model with any normalization.
    /// </summary>
    public static IReadOnlyList<string> GeometryNames { get; } = ["letterbox", "trim-letterbox"];

    /// <summary>
    /// Returns the preset called <paramref name="name"/> (case-insensitive). A geometry preset (<see cref="GeometryNames"/>)
    /// composes with <paramref name="model"/>, the model's own spec (its sidecar or built-in preprocessing): its
    /// normalization and output size are kept. Without one, torchvision's ImageNet normalization at 224 × 224 is assumed.
    /// </summary>
    /// <exception cref="ArgumentException">No such preset; the message lists the names.</exception>
    public static PreprocessSpec Get(string name, PreprocessSpec? model = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.ToLowerInvariant() switch
        {
            "torchvision" => Torchvision,
            "keras-mobilenet" => KerasMobileNet,
            "caffe" => Caffe,
            "letterbox" => Letterboxed(model ?? Torchvision, trim: false),
            "trim-letterbox" => Letterboxed(model ?? Torchvision, trim: true),
            _ => throw new ArgumentException($"Unknown preprocess preset '{name}'; known: {string.Join(", ", Names)}", nameof(name)),
        };
    }

    /// <summary>
    /// <paramref name="model"/>'s normalization with letterbox geometry: (optionally trim white margins, then) pad to a
    /// centred white square and resize exactly to the size the model's spec gives a square image, with its filter.
    /// </summary>
    public static PreprocessSpec Letterboxed(PreprocessSpec model, bool trim)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.Validate();
        var square = new PreprocessPlan(model with { Trim = null }, 1024, 1024);
        var filter = model.Resize ?? new ResizeSpec();
        return model with
        {
            Trim = trim ? new TrimSpec() : null,
            PadToSquare = true,
            Fill = ChannelValues.All(255),
            Resize = filter with
            {
                Mode = ResizeMode.Exact, Width = square.OutputWidth, Height = square.OutputHeight, Size = 0, MaxSize = 0,
            },
            CenterCrop = null,
        };
    }
}
