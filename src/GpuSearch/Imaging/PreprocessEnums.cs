// The small vocabularies a PreprocessSpec is written in. Their camelCase names are the JSON schema,
// so renaming a member is a breaking change of the stored format.
namespace GpuSearch.Imaging;

/// <summary>How the (optionally padded) source is resized before cropping.</summary>
public enum ResizeMode
{
    /// <summary>No resize: the source goes straight to the crop step.</summary>
    None,
    /// <summary>
    /// Shorter side to <c>Size</c>, the other side <c>trunc(Size * long / short)</c> (torchvision <c>Resize(int)</c>).
    /// </summary>
    ShorterSide,
    /// <summary>Exactly <c>Width</c> × <c>Height</c>, ignoring the aspect ratio.</summary>
    Exact,
    /// <summary>
    /// Longer side to <c>Size</c>, the shorter side <c>round(Size * short / long)</c> (half to even), then padded
    /// with the fill colour to a centred <c>Size</c> × <c>Size</c> canvas (YOLO-style letterbox).
    /// </summary>
    LongerSidePad,
}

/// <summary>Resampling filter.</summary>
public enum Interpolation
{
    /// <summary>Nearest neighbour at pixel centres: <c>floor((i + 0.5) * in / out)</c> (PIL NEAREST, torch nearest-exact).</summary>
    Nearest,
    /// <summary>Triangle filter (PIL BILINEAR; torch bilinear, align_corners=False).</summary>
    Bilinear,
    /// <summary>Cubic convolution: a = -0.5 with antialias (PIL BICUBIC), a = -0.75 without (torch bicubic).</summary>
    Bicubic,
}

/// <summary>Arithmetic of the two resampling passes.</summary>
public enum ResampleArithmetic
{
    /// <summary>
    /// PIL's 8-bit path: fixed-point weights with 22 fractional bits, each pass rounded and clamped to 0..255.
    /// This is what torchvision does to PIL images (the usual ImageNet pipeline) and to uint8 tensors.
    /// </summary>
    Uint8,
    /// <summary>Float weights and float intermediates, no rounding (torchvision on float tensors).</summary>
    Float,
}

/// <summary>Order of the three output channels.</summary>
public enum ChannelOrder
{
    /// <summary>Red, green, blue (PyTorch, Keras).</summary>
    Rgb,
    /// <summary>Blue, green, red (Caffe, OpenCV).</summary>
    Bgr,
}

/// <summary>Memory layout of the output tensor.</summary>
public enum TensorLayout
{
    /// <summary>[batch, channel, height, width].</summary>
    Nchw,
}

/// <summary>Element type of the output tensor.</summary>
public enum TensorDType
{
    /// <summary>IEEE single precision.</summary>
    Fp32,
    /// <summary>IEEE half precision (round to nearest even), storage only.</summary>
    Fp16,
}
