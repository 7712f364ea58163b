// Fingerprints: canonical form, equality across formatting, and the refusal message on mismatch.
using GpuSearch.Store;

namespace GpuSearch.Tests.Store;

public class ModelFingerprintTests : StoreTestBase
{
    [Fact]
    public void Canonical_form_ignores_key_order_whitespace_and_number_spelling()
    {
        var a = Fingerprint(pre: """{"resize": 256, "crop": 224.0, "mean": [0.5, 0.25]}""");
        var b = Fingerprint(pre: """{ "mean":[0.50,0.25],"crop":224,"resize":256 }""");
        Assert.Equal(a.Canonical, b.Canonical);
        Assert.Equal(a.Hash, b.Hash);
        Assert.Equal(64, a.Hash.Length);
        Assert.Equal(a, ModelFingerprint.Parse(a.Canonical));
        Assert.Empty(a.Differences(b));
    }

    [Fact]
    public void Differences_name_each_changed_field_including_nested_preprocessing()
    {
        var a = Fingerprint(pre: """{"resize":256,"mean":[0.5,0.25]}""");
        var b = Fingerprint(model: "m2", dim: 16, pre: """{"resize":320,"mean":[0.5,0.3],"layout":"nchw"}""");
        var d = a.Differences(b, "index", "expected");
        Assert.Contains(d, l => l.StartsWith("model_sha256: index", StringComparison.Ordinal));
        Assert.Contains("dim: index 8, expected 16", d);
        Assert.Contains("preprocessing.resize: index 256, expected 320", d);
        Assert.Contains("preprocessing.mean[1]: index 0.25, expected 0.3", d);
        Assert.Contains("preprocessing.layout: index (absent), expected \"nchw\"", d);
    }

    [Fact]
    public void Opening_with_another_models_fingerprint_is_refused_showing_both()
    {
        IndexStore.Create(IndexDir, Meta()).Dispose();
        var other = Fingerprint(model: "resnet50-v2");
        var ex = Assert.Throws<FingerprintMismatchException>(() => IndexStore.Open(IndexDir, other));
        Assert.Contains(Fingerprint().Canonical, ex.Message);
        Assert.Contains(other.Canonical, ex.Message);
        Assert.Contains("model_sha256: index " + Fingerprint().ModelSha256 + ", expected " + other.ModelSha256, ex.Message);
        Assert.Equal(Fingerprint(), ex.Stored);
        // The refusal left the folder usable.
        using var s = IndexStore.Open(IndexDir, Fingerprint());
        Assert.Equal(Fingerprint(), s.Metadata.Fingerprint);
    }

    [Fact]
    public void Fingerprint_of_a_model_file_hashes_its_bytes()
    {
        var model = Path.Combine(Root, "m.onnx");
        File.WriteAllBytes(model, [1, 2, 3]);
        var fp = ModelFingerprint.ForModelFile(model, "{}", "out", "float32", 4);
        Assert.Equal("039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81", fp.ModelSha256);
    }

    [Fact]
    public void Invalid_preprocessing_json_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => Fingerprint(pre: "{resize:"));
    }
}
