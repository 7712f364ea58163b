// Entry point for reading an .onnx file: parses the protobuf, checks IR version and opset range, and turns
// every wire-level failure (truncation, bad varint, wrong wire type) into an InvalidDataException naming
// the file, so callers see one clear exception type.
using Google.Protobuf;

namespace GpuSearch.Models.Onnx;

/// <summary>Reads ONNX model files into <see cref="OnnxModelProto"/>.</summary>
internal static class OnnxModelReader
{
    /// <summary>Lowest and highest accepted IR versions.</summary>
    public const long MinIrVersion = 3, MaxIrVersion = 10;

    /// <summary>Lowest and highest accepted default-domain opsets.</summary>
    public const long MinOpset = 7, MaxOpset = 21;

    /// <summary>Reads and version-checks a model file.</summary>
    /// <exception cref="InvalidDataException">The file is not a readable ONNX model or its versions are outside the accepted range.</exception>
    public static OnnxModelProto ReadFile(string path)
    {
        var bytes = IO.UntrustedFile.ReadAllBytes(path);
        return Parse(bytes, Path.GetFileName(path));
    }

    /// <summary>Parses and version-checks model bytes; <paramref name="label"/> names the source in errors.</summary>
    public static OnnxModelProto Parse(byte[] bytes, string label = "model")
    {
        if (bytes.Length == 0) throw new InvalidDataException($"{label}: file is empty, not an ONNX model");
        OnnxModelProto model;
        try
        {
            model = OnnxModelProto.Read(OnnxWire.Over(bytes));
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{label}: not a valid ONNX protobuf (truncated or corrupt): {e.Message}", e);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{label}: not a valid ONNX protobuf: {e.Message}", e);
        }
        if (model.Graph is null) throw new InvalidDataException($"{label}: ONNX model has no graph (not an ONNX model?)");
        if (model.IrVersion < MinIrVersion || model.IrVersion > MaxIrVersion)
            throw new InvalidDataException($"{label}: ONNX IR version {model.IrVersion} is not supported (supported: {MinIrVersion}–{MaxIrVersion})");
        long opset = DefaultOpset(model);
        if (opset < MinOpset || opset > MaxOpset)
            throw new InvalidDataException($"{label}: ONNX opset {opset} is not supported (supported: {MinOpset}–{MaxOpset})");
        return model;
    }

    /// <summary>The default-domain ("" or "ai.onnx") opset version; 0 when the model imports none.</summary>
    public static long DefaultOpset(OnnxModelProto model) =>
        model.OpsetImports.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();
}
