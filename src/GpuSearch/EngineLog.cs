// Everything the library logs, in one place: the event ids (stable, so hosts can filter on them), levels and
// message templates (structured: the {Names} become properties). The library never writes to the console; a host
// that passes EngineOptions.LoggerFactory gets these, one that does not gets nothing (NullLoggerFactory).
// Ids: 1xx opening, 2xx adding and searching, 3xx index store recovery, 4xx compute device and kernels.
using Microsoft.Extensions.Logging;

namespace GpuSearch;

internal static partial class EngineLog
{
    /// <summary>Logger categories: one per layer, so a host can turn the store's or the compiler's events up or down.</summary>
    public const string EngineCategory = "GpuSearch.ImageSearchEngine";
    public const string StoreCategory = "GpuSearch.Store";
    public const string ComputeCategory = "GpuSearch.Compute";

    // Opening.
    [LoggerMessage(100, LogLevel.Debug, "Opening {Folder}: stage {Stage}")]
    public static partial void OpenStage(ILogger logger, string folder, OpenStage stage);

    [LoggerMessage(101, LogLevel.Information, "Device '{Selection}' resolved to {DeviceId} ({DeviceName}, {Backend})")]
    public static partial void DeviceSelected(ILogger logger, string selection, string deviceId, string deviceName, GpuSearch.Compute.ComputeBackend backend);

    [LoggerMessage(102, LogLevel.Warning, "No GPU found for device 'auto': falling back to the CPU device {DeviceId} ({DeviceName}); {Devices}")]
    public static partial void DeviceFallback(ILogger logger, string deviceId, string deviceName, string devices);

    [LoggerMessage(103, LogLevel.Information, "Model {ModelPath} ({ModelSource}): {Dimension}-d embeddings from '{Output}', batch {BatchSize}, preprocessing from {PreprocessSource}")]
    public static partial void ModelLoaded(ILogger logger, string modelPath, string modelSource, int dimension, string output, int batchSize, string preprocessSource);

    [LoggerMessage(104, LogLevel.Information, "Index {Folder} {Mode} with {Count} items in {ElapsedMs:F0} ms")]
    public static partial void IndexOpened(ILogger logger, string folder, string mode, long count, double elapsedMs);

    [LoggerMessage(105, LogLevel.Debug, "Warm-up skipped: the preprocessing cannot take the model's own input size {Width}x{Height}; the first image builds the kernels")]
    public static partial void WarmUpSkipped(ILogger logger, int width, int height);

    [LoggerMessage(106, LogLevel.Information, "Engine ready after {ElapsedMs:F0} ms ({KernelsCompiled} kernel programs compiled from source)")]
    public static partial void OpenReady(ILogger logger, double elapsedMs, int kernelsCompiled);

    [LoggerMessage(107, LogLevel.Warning, "No preprocessing given for {ModelPath} and no sidecar .preprocess.json beside it: falling back to the torchvision ImageNet preset, which may not be the model's")]
    public static partial void PreprocessFallback(ILogger logger, string modelPath);

    // Adding and searching.
    [LoggerMessage(200, LogLevel.Information, "Adding to {Folder}: {Total} images, {ToEmbed} to embed, {Skipped} already indexed")]
    public static partial void AddStarted(ILogger logger, string folder, int total, int toEmbed, long skipped);

    [LoggerMessage(201, LogLevel.Debug, "Committed a batch of {Count} images ({Replaced} replacing older versions); {Added} added so far")]
    public static partial void BatchCommitted(ILogger logger, int count, int replaced, long added);

    [LoggerMessage(202, LogLevel.Warning, "Could not index {Path}: {Reason}: {Detail}")]
    public static partial void ImageFailed(ILogger logger, string path, string reason, string detail);

    [LoggerMessage(203, LogLevel.Information, "Added {Added}, skipped {Skipped}, failed {Failed} images in {ElapsedMs:F0} ms")]
    public static partial void AddFinished(ILogger logger, long added, long skipped, int failed, double elapsedMs);

    [LoggerMessage(204, LogLevel.Information, "Add to {Folder} cancelled; every batch committed before stays")]
    public static partial void AddCancelled(ILogger logger, string folder);

    [LoggerMessage(205, LogLevel.Debug, "Searched {Queries} queries, k {K}{Filtered} in {ElapsedMs:F1} ms")]
    public static partial void Searched(ILogger logger, int queries, int k, string filtered, double elapsedMs);

    [LoggerMessage(206, LogLevel.Warning, "Could not query with {Path}: {Reason}: {Detail}")]
    public static partial void QueryFailed(ILogger logger, string path, string reason, string detail);

    // Index store recovery (an interrupted run repaired on open); nothing is deleted, only moved to quarantine.
    [LoggerMessage(300, LogLevel.Warning, "Recovering {Folder}: {Action}")]
    public static partial void RecoveryAction(ILogger logger, string folder, string action);

    [LoggerMessage(301, LogLevel.Warning, "Moved {File} of {Folder} into quarantine as {Destination}")]
    public static partial void Quarantined(ILogger logger, string folder, string file, string destination);

    // Compute device and kernels.
    [LoggerMessage(400, LogLevel.Debug, "Compiling {KernelFile} for {DeviceId} (compile {Number} on this device; not in the kernel cache)")]
    public static partial void KernelCompiling(ILogger logger, string kernelFile, string deviceId, int number);

    [LoggerMessage(401, LogLevel.Information, "Compiled {KernelFile} for {DeviceId} in {ElapsedMs:F0} ms")]
    public static partial void KernelCompiled(ILogger logger, string kernelFile, string deviceId, double elapsedMs);
}
