// PreprocessSpec as data: every preset survives a JSON round trip unchanged, the written form is stable,
// and invalid specs or JSON are rejected with messages that name the offending field.
using GpuSearch.Imaging;

namespace GpuSearch.Tests.Imaging;

public sealed class PreprocessSpecTests
{
    public static TheoryData<string> PresetNames() => new(PreprocessPresets.Names);

    [Theory]
    [MemberData(nameof(PresetNames))]
    public void PresetRoundTripsThroughJson(string name)
    {
        var preset = PreprocessPresets.Get(name);
        var json = PreprocessSpecJson.Write(preset);
        var back = PreprocessSpecJson.Read(json);
        Assert.Equal(preset, back);
        Assert.Equal(json, PreprocessSpecJson.Write(back));
        Assert.Contains("\"schema\": \"gpusearch.preprocess/1\"", json);
    }

    [Fact]
    public void TorchvisionPresetJsonIsTheDocumentedSchema()
    {
        var json = PreprocessSpecJson.Write(PreprocessPresets.Torchvision);
        foreach (var fragment in new[]
                 {
                     "\"mode\": \"shorterSide\"", "\"size\": 256", "\"interpolation\": \"bilinear\"", "\"antialias\": true",
                     "\"arithmetic\": \"uint8\"", "\"centerCrop\": {", "\"width\": 224", "\"channelOrder\": \"rgb\"",
                     "\"layout\": \"nchw\"", "\"dtype\": \"fp32\"", "0.485", "0.229",
                 })
            Assert.Contains(fragment, json);
    }

    [Fact]
    public void EveryOptionRoundTrips()
    {
        var spec = new PreprocessSpec
        {
            PadToSquare = true,
            Resize = new ResizeSpec { Mode = ResizeMode.ShorterSide, Size = 300, MaxSize = 500, Interpolation = Interpolation.Nearest, Antialias = false, Arithmetic = ResampleArithmetic.Float },
            CenterCrop = new CropSize(17, 9),
            Fill = new ChannelValues(1, 2, 3),
            ChannelOrder = ChannelOrder.Bgr,
            Scale = 0.1,
            Mean = new ChannelValues(-1.5, 0, 1e-9),
            Std = new ChannelValues(3, 0.25, 1),
            DType = TensorDType.Fp16,
        };
        Assert.Equal(spec, PreprocessSpecJson.Read(PreprocessSpecJson.Write(spec)));
        var letterbox = spec with { Resize = new ResizeSpec { Mode = ResizeMode.LongerSidePad, Size = 64, Interpolation = Interpolation.Bicubic } };
        Assert.Equal(letterbox, PreprocessSpecJson.Read(PreprocessSpecJson.Write(letterbox)));
    }

    [Fact]
    public void UnknownPresetNamesTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => PreprocessPresets.Get("imagenet"));
        Assert.Contains("torchvision, keras-mobilenet, caffe, letterbox", e.Message);
    }

    private const string Good = """
        {"schema":"gpusearch.preprocess/1","resize":{"mode":"shorterSide","size":256},"centerCrop":{"width":224,"height":224},
         "scale":0.00392156862745098,"mean":[0.485,0.456,0.406],"std":[0.229,0.224,0.225]}
        """;

    [Fact]
    public void MinimalJsonUsesDefaults()
    {
        var spec = PreprocessSpecJson.Read(Good);
        Assert.Equal(PreprocessPresets.Torchvision, spec);
    }

    [Theory]
    [InlineData("\"schema\":\"gpusearch.preprocess/1\"", "\"schema\":\"other/2\"", "schema must be \"gpusearch.preprocess/1\"")]
    [InlineData("\"schema\":\"gpusearch.preprocess/1\",", "", "schema is missing")]
    [InlineData("\"size\":256", "\"size\":0", "resize.size is required by mode shorterSide")]
    [InlineData("\"size\":256", "\"size\":-3", "resize.size must be 1..16384, got -3")]
    [InlineData("\"size\":256", "\"size\":256.5", "resize.size must be an integer")]
    [InlineData("\"mode\":\"shorterSide\"", "\"mode\":\"shortest\"", "resize.mode \"shortest\" is not one of none, shorterSide, exact, longerSidePad")]
    [InlineData("\"mode\":\"shorterSide\",\"size\":256", "\"mode\":\"exact\",\"width\":10", "resize.height is required by mode exact")]
    [InlineData("\"size\":256}", "\"size\":256,\"maxSize\":200}", "resize.maxSize must be greater than resize.size (256), got 200")]
    [InlineData("\"size\":256}", "\"size\":256,\"antialias\":\"yes\"}", "resize.antialias must be true or false")]
    [InlineData("\"size\":256}", "\"size\":256,\"filter\":\"lanczos\"}", "resize.filter is not a field of resize")]
    [InlineData("\"height\":224}", "\"height\":0}", "centerCrop.height must be given")]
    [InlineData("\"std\":[0.229,0.224,0.225]", "\"std\":[0.229,0,0.225]", "std[1] must be finite and non-zero, got 0")]
    [InlineData("\"std\":[0.229,0.224,0.225]", "\"std\":[0.229,0.224]", "std must be an array of 3 numbers")]
    [InlineData("\"mean\":[0.485,0.456,0.406]", "\"mean\":[0.485,\"x\",0.406]", "mean[1] must be a number")]
    [InlineData("\"scale\":0.00392156862745098", "\"scale\":0", "scale must be finite and non-zero, got 0")]
    [InlineData("\"scale\":0.00392156862745098", "\"scale\":1,\"fill\":[0,256,0]", "fill[1] must be an integer 0..255, got 256")]
    [InlineData("\"scale\":0.00392156862745098", "\"scale\":1,\"fill\":[0,1.5,0]", "fill[1] must be an integer 0..255, got 1.5")]
    [InlineData("\"scale\":0.00392156862745098", "\"scale\":1,\"dtype\":\"bf16\"", "dtype \"bf16\" is not one of fp32, fp16")]
    [InlineData("\"scale\":0.00392156862745098", "\"scale\":1,\"layout\":\"nhwc\"", "layout \"nhwc\" is not one of nchw")]
    [InlineData("\"scale\":0.00392156862745098", "\"scale\":1,\"channelOrder\":\"rgba\"", "channelOrder \"rgba\" is not one of rgb, bgr")]
    [InlineData("\"scale\":0.00392156862745098", "\"scale\":1,\"normalize\":true", "normalize is not a field")]
    [InlineData("\"scale\":0.00392156862745098", "\"scale\":1,", "Invalid preprocess spec JSON")]
    public void InvalidJsonIsRejectedNamingTheField(string find, string replace, string expected)
    {
        Assert.Contains(find, Good);
        var e = Assert.Throws<FormatException>(() => PreprocessSpecJson.Read(Good.Replace(find, replace)));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void InvalidSpecObjectsAreRejectedWithTheFieldAsParamName()
    {
        var e = Assert.Throws<ArgumentException>(() => (PreprocessPresets.Caffe with { Std = new ChannelValues(1, double.NaN, 1) }).Validate());
        Assert.Equal("std[1]", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => new PreprocessSpec { Resize = new ResizeSpec { Mode = ResizeMode.Exact, Width = 5, Height = 5, Size = 3 } }.Validate());
        Assert.Equal("resize.size", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => new PreprocessSpec { Resize = new ResizeSpec { Mode = (ResizeMode)9, Size = 3 } }.Validate());
        Assert.Equal("resize.mode", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => new PreprocessSpec { Resize = new ResizeSpec { Mode = ResizeMode.LongerSidePad, Size = 3, MaxSize = 9 } }.Validate());
        Assert.Contains("only applies to mode shorterSide", e.Message);
        e = Assert.Throws<ArgumentException>(() => PreprocessSpecJson.Write(new PreprocessSpec { CenterCrop = new CropSize(0, 4) }));
        Assert.Equal("centerCrop.width", e.ParamName);
    }
}
