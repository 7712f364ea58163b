// One small real index for the serve tests: five shared photos embedded with the small real MobileNetV2 from
// ../shared, built once per test run, then opened read-only as `gpusearch serve` opens it. Hosts are real
// Kestrel instances on a free loopback port.
using GpuSearch.Cli.Serve;
using GpuSearch.Tests.Engine;
using GpuSearch.Tests.Support;

namespace GpuSearch.Tests.Serve;

[CollectionDefinition(Name)]
public sealed class ServeCollection : ICollectionFixture<ServeFixture>
{
    public const string Name = "Serve";
}

public sealed class ServeFixture : IDisposable
{
    /// <summary>What the serve tests need from ../shared.</summary>
    public static readonly string[] Needs = [EngineTests.Model, "testdata/decoders/libjpeg_turbo_testimages", "testdata/decoders/go_x_image_testdata"];

    private static readonly string[] PhotoNames =
    [
        "testdata/decoders/libjpeg_turbo_testimages/testorig.jpg",
        "testdata/decoders/libjpeg_turbo_testimages/vgl_5674_0098.bmp",
        "testdata/decoders/libjpeg_turbo_testimages/vgl_6434_0018a.bmp",
        "testdata/decoders/libjpeg_turbo_testimages/vgl_6548_0026a.bmp",
        "testdata/decoders/go_x_image_testdata/go-turns-two-280x360.jpeg",
    ];

    private readonly Lazy<ImageSearchEngine> _engine;
    private readonly Lazy<ImageSearchEngine> _duplicatesEngine;
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "gpusearch-serve-" + Guid.NewGuid().ToString("N"));
    public string Images => Path.Combine(Root, "images");
    public string Db => Path.Combine(Root, "db");

    public ServeFixture()
    {
        _engine = new Lazy<ImageSearchEngine>(Build);
        _duplicatesEngine = new Lazy<ImageSearchEngine>(BuildWithDuplicate);
    }

    /// <summary>The index, opened read-only (built on first use, so tests that skip never pay for it).</summary>
    public ImageSearchEngine Engine => _engine.Value;

    /// <summary>
    /// A second index, opened read-only: three of the photos plus a copy of the first under another name (a planted
    /// duplicate, <see cref="PlantedCopy"/>). Kept apart so the main index's searches keep one best match per photo.
    /// </summary>
    public ImageSearchEngine DuplicatesEngine => _duplicatesEngine.Value;

    /// <summary>The original and the copy planted in <see cref="DuplicatesEngine"/>.</summary>
    public (string Original, string Copy) PlantedCopy => (Path.Combine(Root, "dup-images", Path.GetFileName(Photos[0])), Path.Combine(Root, "dup-images", "copy-of-" + Path.GetFileName(Photos[0])));

    /// <summary>The indexed image files.</summary>
    public string[] Photos => Directory.GetFiles(Images).Order(StringComparer.Ordinal).ToArray();

    public static string Model => SharedData.Find(EngineTests.Model, out var why) ?? throw new InvalidOperationException(why);

    public static EngineOptions Options(bool readOnly) => EngineTests.Options(Model) with { ReadOnly = readOnly, CreateIfMissing = !readOnly };

    private ImageSearchEngine Build()
    {
        Directory.CreateDirectory(Images);
        foreach (var rel in PhotoNames)
            File.Copy(SharedData.Find(rel, out var why) ?? throw new InvalidOperationException(why), Path.Combine(Images, Path.GetFileName(rel)));
        using (var writer = ImageSearchEngine.Open(Db, Options(readOnly: false)))
        {
            var report = writer.AddImagesAsync([Images]).GetAwaiter().GetResult();
            if (report.Added != PhotoNames.Length) throw new InvalidOperationException($"the serve fixture indexed {report.Added} of {PhotoNames.Length} photos");
        }
        return ImageSearchEngine.Open(Db, Options(readOnly: true));
    }

    private ImageSearchEngine BuildWithDuplicate()
    {
        _ = Engine; // the photos are in place
        var folder = Directory.CreateDirectory(Path.Combine(Root, "dup-images")).FullName;
        foreach (var photo in Photos[..3]) File.Copy(photo, Path.Combine(folder, Path.GetFileName(photo)));
        File.Copy(Photos[0], PlantedCopy.Copy);
        var db = Path.Combine(Root, "dup-db");
        using (var writer = ImageSearchEngine.Open(db, Options(readOnly: false)))
        {
            var report = writer.AddImagesAsync([folder]).GetAwaiter().GetResult();
            if (report.Added != 4) throw new InvalidOperationException($"the duplicates index took {report.Added} of 4 images");
        }
        return ImageSearchEngine.Open(db, Options(readOnly: true));
    }

    /// <summary>Starts a real Kestrel host on a free loopback port with <paramref name="options"/> (Urls replaced).</summary>
    internal async Task<(ServeHost Host, HttpClient Client)> StartAsync(ServeOptions? options = null, ImageSearchEngine? engine = null)
    {
        var host = await ServeHost.StartAsync(engine ?? Engine, (options ?? new ServeOptions()) with { Urls = "http://127.0.0.1:0" });
        return (host, new HttpClient { BaseAddress = new Uri(host.Addresses[0]), Timeout = TimeSpan.FromMinutes(2) });
    }

    public void Dispose()
    {
        if (_engine.IsValueCreated) _engine.Value.Dispose();
        if (_duplicatesEngine.IsValueCreated) _duplicatesEngine.Value.Dispose();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
