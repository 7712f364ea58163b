// Where the default embedding model lives and how it is preprocessed. The default comes by NuGet restore
// (build/GpuSearchEngine.DefaultModel.targets copies it beside the assembly; a GpuSearchEngine package consumer
// gets the copy inside the package through buildTransitive/GpuSearchEngine.targets); nsfwjs stays available as a
// named model that scripts/fetch-default-model.sh installs from npm.
using GpuSearch.Imaging;

namespace GpuSearch.Embedding;

/// <summary>
/// The default model: the ImageNet ResNet-18 of NuGet's Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1 (MIT,
/// .NET Foundation), exported by CNTK with a fixed batch of 1 (freed at load time); the embedding is its
/// 512-d global average pool <c>Pooling395_Output_0</c>.
/// </summary>
internal static class DefaultModel
{
    /// <summary>Folder under <c>models/</c> beside the assembly.</summary>
    public const string FolderName = "resnet18";

    /// <summary>The output used as the embedding ([1,512,1,1] as exported; [N,512] after the batch is freed).</summary>
    public const string OutputName = "Pooling395_Output_0";

    /// <summary><c>GPUSEARCH_MODELS</c> if set, else <c>~/.cache/gpusearch/models</c>: where fetched models (nsfwjs) go.</summary>
    public static string ModelsRoot
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("GPUSEARCH_MODELS");
            return !string.IsNullOrEmpty(env) ? env
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "gpusearch", "models");
        }
    }

    /// <summary>Path of the model file beside the assembly (<c>models/resnet18/ResNet18.onnx</c>).</summary>
    public static string ModelPath => Path.Combine(AppContext.BaseDirectory, "models", FolderName, "ResNet18.onnx");

    /// <summary>
    /// As ML.NET feeds it (ResNetPreprocess.onnx beside the model): 0–255 pixels in BGR order minus a 224 × 224
    /// mean image. The spec subtracts the mean image's per-channel means (B 103.0626, G 115.9029, R 123.1516);
    /// the mean image differs from those by at most 12.7 levels (std 3–6) per pixel. The resize is an exact,
    /// antialiased 224 × 224 of the whole image (ML.NET crops to the centre), which keeps borders and corners
    /// for near-duplicate search.
    /// </summary>
    public static PreprocessSpec Preprocess { get; } = new()
    {
        Resize = new ResizeSpec { Mode = ResizeMode.Exact, Width = 224, Height = 224 },
        ChannelOrder = ChannelOrder.Bgr,
        Mean = new ChannelValues(103.06262402, 115.90288236, 123.15163078),
    };

    /// <summary>Returns <see cref="ModelPath"/>, or throws saying how the package restore brings it.</summary>
    public static string RequirePath()
    {
        var p = ModelPath;
        if (File.Exists(p)) return p;
        throw new FileNotFoundException(
            $"The default model is not installed ({p}); the build copies it there from the GpuSearchEngine package (in this repository from Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1, which dotnet build restores), unless GpuSearchCopyDefaultModel=false; or name a model (EngineOptions.ModelPath, --model).", p);
    }

    /// <summary>The optional nsfwjs@4.4.0 MobileNetV2 (MIT; 1280-d), installed by scripts/fetch-default-model.sh.</summary>
    public static class NsfwJs
    {
        /// <summary>Folder name under <see cref="ModelsRoot"/>, versioned with the npm package.</summary>
        public const string FolderName = "nsfwjs-mobilenet-v2-4.4.0";

        /// <summary>Its embedding output.</summary>
        public const string OutputName = "embedding";

        /// <summary>Path of the converted model file.</summary>
        public static string ModelPath => Path.Combine(ModelsRoot, FolderName, "model.onnx");

        /// <summary>As nsfwjs was trained: the whole image resized to 224 × 224 (antialiased), scaled to [0, 1].</summary>
        public static PreprocessSpec Preprocess { get; } = new()
        {
            Resize = new ResizeSpec { Mode = ResizeMode.Exact, Width = 224, Height = 224 },
            Scale = 1.0 / 255.0,
        };
    }

    /// <summary>The preprocessing of a known model at <paramref name="modelPath"/> (default or nsfwjs), else null.</summary>
    public static PreprocessSpec? PreprocessOf(string modelPath)
    {
        var full = Path.GetFullPath(modelPath);
        if (full == Path.GetFullPath(ModelPath)) return Preprocess;
        if (full == Path.GetFullPath(NsfwJs.ModelPath)) return NsfwJs.Preprocess;
        return null;
    }
}
