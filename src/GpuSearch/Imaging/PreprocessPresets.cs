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
    /// Letterbox for drawings that must not lose their margins (trademarks, patents): pad to a centred square
    /// with white, resize to 224 × 224 (bilinear, antialiased), ImageNet normalization.
    /// </summary>
    public static PreprocessSpec Letterbox { get; } = new()
    {
        PadToSquare = true,
        Fill = ChannelValues.All(255),
        Resize = new ResizeSpec { Mode = ResizeMode.Exact, Width = 224, Height = 224 },
        Scale = 1.0 / 255.0,
        Mean = ImageNetMean,
        Std = ImageNetStd,
    };

    /// <summary>Preset names as accepted by <see cref="Get"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["torchvision", "keras-mobilenet", "caffe", "letterbox"];

    /// <summary>Returns the preset called <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No such preset; the message lists the names.</exception>
    public static PreprocessSpec Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.ToLowerInvariant() switch
        {
            "torchvision" => Torchvision,
            "keras-mobilenet" => KerasMobileNet,
            "caffe" => Caffe,
            "letterbox" => Letterbox,
            _ => throw new ArgumentException($"Unknown preprocess preset '{name}'; known: {string.Join(", ", Names)}", nameof(name)),
        };
    }
}
