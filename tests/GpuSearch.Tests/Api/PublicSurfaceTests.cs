// The public surface is a decision, not an accident: this test lists every exported type, so a new public type
// (or one made public by mistake) fails here until it is added on purpose — and to the README's API section.
using System.Reflection;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Api;

public sealed class PublicSurfaceTests
{
    /// <summary>What a host app needs; README.md "API" lists the same.</summary>
    private static readonly string[] Expected =
    [
        "GpuSearch.AddedBatch",
        "GpuSearch.Compute.ComputeBackend",
        "GpuSearch.Compute.ComputeException",
        "GpuSearch.Compute.DeviceInfo",
        "GpuSearch.Compute.DeviceNotFoundException",
        "GpuSearch.Compute.DeviceOutOfMemoryException",
        "GpuSearch.Compute.KernelBuildException",
        "GpuSearch.Dedup.DedupOptions",
        "GpuSearch.Dedup.DuplicatePair",
        "GpuSearch.Dedup.DuplicateReport",
        "GpuSearch.EmbedResult",
        "GpuSearch.EngineOptions",
        "GpuSearch.EqualsCondition",
        "GpuSearch.FilterCondition",
        "GpuSearch.ImageFailure",
        "GpuSearch.ImageSearchEngine",
        "GpuSearch.Imaging.ChannelOrder",
        "GpuSearch.Imaging.ChannelValues",
        "GpuSearch.Imaging.CropSize",
        "GpuSearch.Imaging.DecodeFailureReason",
        "GpuSearch.Imaging.DecodedImage",
        "GpuSearch.Imaging.ImageDecodeException",
        "GpuSearch.Imaging.ImageFormat",
        "GpuSearch.Imaging.Interpolation",
        "GpuSearch.Imaging.PreprocessPresets",
        "GpuSearch.Imaging.PreprocessSpec",
        "GpuSearch.Imaging.ResampleArithmetic",
        "GpuSearch.Imaging.ResizeMode",
        "GpuSearch.Imaging.ResizeSpec",
        "GpuSearch.Imaging.TensorDType",
        "GpuSearch.Imaging.TensorLayout",
        "GpuSearch.Imaging.TrimSpec",
        "GpuSearch.InCondition",
        "GpuSearch.IndexProgress",
        "GpuSearch.IndexReport",
        "GpuSearch.KeyedVector",
        "GpuSearch.Models.GemPooling",
        "GpuSearch.Embedding.EmbeddingSpace",
        "GpuSearch.Models.UnsupportedModelException",
        "GpuSearch.OpenProgress",
        "GpuSearch.OpenStage",
        "GpuSearch.QueryOptions",
        "GpuSearch.QueryOutcome",
        "GpuSearch.QueryRefinement",
        "GpuSearch.RangeCondition",
        "GpuSearch.ScoreBackground",
        "GpuSearch.Search.StoredWhitening",
        "GpuSearch.SearchFilter",
        "GpuSearch.SearchHit",
        "GpuSearch.Store.CatalogException",
        "GpuSearch.Store.FingerprintMismatchException",
        "GpuSearch.Store.ModelFingerprint",
        "GpuSearch.Store.StoreCorruptException",
        "GpuSearch.Store.StoredItem",
    ];

    private static readonly Assembly Library = typeof(ImageSearchEngine).Assembly;

    [Fact]
    public void Exported_types_are_exactly_the_host_api()
    {
        var exported = Library.GetExportedTypes().Select(t => t.FullName!).ToHashSet();
        var unexpected = exported.Except(Expected).Order().ToList();
        var missing = Expected.Except(exported).Order().ToList();
        Assert.True(unexpected.Count == 0, "public but not in the host API list: " + string.Join(", ", unexpected));
        Assert.True(missing.Count == 0, "in the host API list but not public: " + string.Join(", ", missing));
    }

    [Fact]
    public void Public_types_expose_no_mutable_arrays()
    {
        var offenders = new List<string>();
        foreach (var type in Library.GetExportedTypes().Where(t => Expected.Contains(t.FullName)))
        {
            const BindingFlags flags = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            offenders.AddRange(type.GetProperties(flags).Where(p => p.PropertyType.IsArray).Select(p => $"{type.Name}.{p.Name}"));
            offenders.AddRange(type.GetFields(flags).Where(f => f.FieldType.IsArray).Select(f => $"{type.Name}.{f.Name}"));
        }
        Assert.True(offenders.Count == 0, "public array-typed members (a caller could change them): " + string.Join(", ", offenders));
    }

    [Fact]
    public void Readme_api_section_names_every_public_type()
    {
        var readme = File.ReadAllText(Path.Combine(SharedData.RepoRoot, "README.md"));
        int start = readme.IndexOf("\n### API", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no '### API' section");
        var next = System.Text.RegularExpressions.Regex.Match(readme[(start + 1)..], "\n#{2,3} ");
        var section = readme.Substring(start, next.Success ? next.Index + 1 : readme.Length - start);
        var unnamed = Expected.Select(n => n[(n.LastIndexOf('.') + 1)..]).Where(n => !section.Contains(n, StringComparison.Ordinal)).ToList();
        Assert.True(unnamed.Count == 0, "README API section does not name: " + string.Join(", ", unnamed));
    }
}
