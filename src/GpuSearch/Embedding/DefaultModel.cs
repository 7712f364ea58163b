// Where the default embedding model lives and how it is preprocessed. The model itself is fetched at
// set-up time from the npm registry (scripts/fetch-default-model.sh), never shipped in the repository.
using GpuSearch.Imaging;

namespace GpuSearch.Embedding;

/// <summary>The default model: nsfwjs@4.4.0's MobileNetV2 (MIT), converted to ONNX; 1280-d pooled features.</summary>
public static class DefaultModel
{
    /// <summary>Folder name under the models root, versioned with the npm package.</summary>
    public const string FolderName = "nsfwjs-mobilenet-v2-4.4.0";

    /// <summary>The output used as the embedding.</summary>
    public const string OutputName = "embedding";

    /// <summary><c>GPUSEARCH_MODELS</c> if set, else <c>~/.cache/gpusearch/models</c>.</summary>
    public static string ModelsRoot
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("GPUSEARCH_MODELS");
            return !string.IsNullOrEmpty(env) ? env
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "gpusearch", "models");
        }
    }

    /// <summary>Path of the converted model file.</summary>
    public static string ModelPath => Path.Combine(ModelsRoot, FolderName, "model.onnx");

    /// <summary>
    /// As the model was trained (nsfwjs resizes the whole image to 224 × 224 and scales to [0, 1]): an exact,
    /// antialiased bilinear resize keeps every part of the picture, which suits near-duplicate search.
    /// </summary>
    public static PreprocessSpec Preprocess { get; } = new()
    {
        Resize = new ResizeSpec { Mode = ResizeMode.Exact, Width = 224, Height = 224 },
        Scale = 1.0 / 255.0,
    };

    /// <summary>Returns <see cref="ModelPath"/>, or throws with the command that fetches it.</summary>
    public static string RequirePath()
    {
        var p = ModelPath;
        if (File.Exists(p)) return p;
        throw new FileNotFoundException(
            $"The default model is not installed ({p}). Run scripts/fetch-default-model.sh (or `make demo`), or pass --model.", p);
    }
}
