// Geometry and constants of one PreprocessSpec applied to one source size, computed once on the host:
// virtual pad-to-square, resized size (torchvision's rounding rules), the two axis weight tables, the
// crop/letterbox offset, and the folded scale/mean/std. Both the GPU path and the reference use it.
namespace GpuSearch.Imaging;

/// <summary>Everything the kernels need to preprocess a source of one size with one spec.</summary>
internal sealed class PreprocessPlan
{
    /// <summary>The spec planned for.</summary>
    public PreprocessSpec Spec { get; }
    /// <summary>Source width in pixels.</summary>
    public int SourceWidth { get; }
    /// <summary>Source height in pixels.</summary>
    public int SourceHeight { get; }
    /// <summary>Columns of fill to the left of the source (pad-to-square).</summary>
    public int PadLeft { get; }
    /// <summary>Rows of fill above the source (pad-to-square).</summary>
    public int PadTop { get; }
    /// <summary>Width after padding (the resampler's input width).</summary>
    public int PaddedWidth { get; }
    /// <summary>Height after padding.</summary>
    public int PaddedHeight { get; }
    /// <summary>Width after resizing.</summary>
    public int ResizedWidth { get; }
    /// <summary>Height after resizing.</summary>
    public int ResizedHeight { get; }
    /// <summary>Horizontal weights (padded width → resized width).</summary>
    public PreprocessAxis Horizontal { get; }
    /// <summary>Vertical weights (padded height → resized height).</summary>
    public PreprocessAxis Vertical { get; }
    /// <summary>Output tensor width.</summary>
    public int OutputWidth { get; }
    /// <summary>Output tensor height.</summary>
    public int OutputHeight { get; }
    /// <summary>Output column x reads resized column x + OffsetX; outside the resized image it is fill.</summary>
    public int OffsetX { get; }
    /// <summary>Output row y reads resized row y + OffsetY; outside the resized image it is fill.</summary>
    public int OffsetY { get; }
    /// <summary>Per output channel: value = pixel * Multiplier + Bias, i.e. (pixel * scale - mean) / std.</summary>
    public float[] Multiplier { get; } = new float[3];
    /// <summary>Per output channel additive term, see <see cref="Multiplier"/>.</summary>
    public float[] Bias { get; } = new float[3];
    /// <summary>Source (RGB) channel each output channel reads.</summary>
    public int[] SourceChannel { get; } = new int[3];
    /// <summary>Fill colour in source RGB order, 0..255.</summary>
    public float[] Fill { get; } = new float[3];

    /// <summary>Plans <paramref name="spec"/> for a <paramref name="width"/> × <paramref name="height"/> source.</summary>
    /// <exception cref="ArgumentException">The spec is invalid (message names the field).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not 1..65535.</exception>
    public PreprocessPlan(PreprocessSpec spec, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, 65535);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(height, 65535);
        spec.Validate();
        Spec = spec;
        SourceWidth = width; SourceHeight = height;

        int side = Math.Max(width, height);
        (PaddedWidth, PaddedHeight) = spec.PadToSquare ? (side, side) : (width, height);
        PadLeft = (PaddedWidth - width) / 2;
        PadTop = (PaddedHeight - height) / 2;

        var r = spec.Resize ?? new ResizeSpec { Mode = ResizeMode.None };
        (ResizedWidth, ResizedHeight) = ResizedSize(r, PaddedWidth, PaddedHeight);
        if (ResizedWidth > 65535 || ResizedHeight > 65535)
            throw new ArgumentOutOfRangeException(nameof(width),
                $"A {width}x{height} source resizes to {ResizedWidth}x{ResizedHeight}, beyond the 65535 pixel limit per side");
        Horizontal = AxisFor(r, PaddedWidth, ResizedWidth);
        Vertical = AxisFor(r, PaddedHeight, ResizedHeight);

        // Letterbox: the resized image sits centred on a Size × Size canvas, i.e. a padding "crop".
        int canvasW = ResizedWidth, canvasH = ResizedHeight;
        if (r.Mode == ResizeMode.LongerSidePad)
        {
            OffsetX = CropOffset(ResizedWidth, r.Size);
            OffsetY = CropOffset(ResizedHeight, r.Size);
            canvasW = canvasH = r.Size;
        }
        (OutputWidth, OutputHeight) = (canvasW, canvasH);
        if (spec.CenterCrop is { } c)
        {
            OffsetX += CropOffset(canvasW, c.Width);
            OffsetY += CropOffset(canvasH, c.Height);
            (OutputWidth, OutputHeight) = (c.Width, c.Height);
        }

        // The window of the resized image the output actually reads, and the padded source rows its
        // vertical taps touch: the GPU resamples only that much.
        UsedColumnStart = Math.Clamp(OffsetX, 0, ResizedWidth);
        UsedColumns = Math.Clamp(OffsetX + OutputWidth, 0, ResizedWidth) - UsedColumnStart;
        int rowLo = Math.Clamp(OffsetY, 0, ResizedHeight), rowHi = Math.Clamp(OffsetY + OutputHeight, 0, ResizedHeight);
        if (rowHi > rowLo)
        {
            int lo = int.MaxValue, hi = 0;
            for (int y = rowLo; y < rowHi; y++)
            {
                lo = Math.Min(lo, Vertical.Start[y]);
                hi = Math.Max(hi, Vertical.Start[y] + Vertical.Count[y]);
            }
            (UsedRowStart, UsedRows) = (lo, hi - lo);
        }

        for (int ch = 0; ch < 3; ch++)
        {
            SourceChannel[ch] = spec.ChannelOrder == ChannelOrder.Bgr ? 2 - ch : ch;
            Multiplier[ch] = (float)(spec.Scale / spec.Std[ch]);
            Bias[ch] = (float)(-spec.Mean[ch] / spec.Std[ch]);
            Fill[ch] = (float)spec.Fill[ch];
        }
    }

    /// <summary>First resized column the output reads.</summary>
    public int UsedColumnStart { get; }
    /// <summary>Number of resized columns the output reads (0 when the output is all fill).</summary>
    public int UsedColumns { get; }
    /// <summary>First padded source row the vertical taps of the used resized rows touch.</summary>
    public int UsedRowStart { get; }
    /// <summary>Number of padded source rows those taps touch (0 when the output is all fill).</summary>
    public int UsedRows { get; }

    /// <summary>Elements of one image in the output tensor (3 × H × W).</summary>
    public long OutputElements => 3L * OutputWidth * OutputHeight;

    /// <summary>
    /// Output size of the resize step. ShorterSide follows torchvision: the long side is
    /// <c>int(size * long / short)</c> (truncated), then capped by maxSize as <c>int(maxSize * short / long)</c>.
    /// </summary>
    internal static (int W, int H) ResizedSize(ResizeSpec r, int w, int h)
    {
        switch (r.Mode)
        {
            case ResizeMode.None:
                return (w, h);
            case ResizeMode.Exact:
                return (r.Width, r.Height);
            case ResizeMode.ShorterSide:
            {
                int shortSide = Math.Min(w, h), longSide = Math.Max(w, h);
                int newShort = r.Size;
                int newLong = (int)((double)((long)r.Size * longSide) / shortSide);
                if (r.MaxSize != 0 && newLong > r.MaxSize)
                {
                    newShort = (int)((double)((long)r.MaxSize * newShort) / newLong);
                    newLong = r.MaxSize;
                }
                return w <= h ? (newShort, newLong) : (newLong, newShort);
            }
            case ResizeMode.LongerSidePad:
            {
                int shortSide = Math.Min(w, h), longSide = Math.Max(w, h);
                int newShort = Math.Max(1, (int)Math.Round((double)r.Size * shortSide / longSide, MidpointRounding.ToEven));
                return w >= h ? (r.Size, newShort) : (newShort, r.Size);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(r), r.Mode, "Unknown resize mode");
        }
    }

    /// <summary>
    /// Offset of a centred window of length <paramref name="crop"/> in a line of <paramref name="size"/>, torchvision
    /// CenterCrop style: <c>round((size - crop) / 2)</c> half to even when shrinking, and a negative offset of
    /// <c>(crop - size) // 2</c> fill pixels when the window is larger.
    /// </summary>
    internal static int CropOffset(int size, int crop) =>
        crop > size ? -((crop - size) / 2) : (int)Math.Round((size - crop) / 2.0, MidpointRounding.ToEven);

    private static PreprocessAxis AxisFor(ResizeSpec r, int inSize, int outSize) =>
        // Equal sizes are an identity (PIL and torchvision skip the pass); a 1-tap table is exact in both arithmetics.
        PreprocessAxis.Create(inSize, outSize, inSize == outSize ? Interpolation.Nearest : r.Interpolation, r.Antialias);
}
