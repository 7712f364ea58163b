// Loads a kernel file embedded from kernels/, inlines its #includes with #line markers (so compiler
// errors name the original file and line under both compilers) and prepends the #defines.
using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace GpuSearch.Compute;

/// <summary>Ordered <c>#define NAME VALUE</c> lines prepended to a kernel; tunables have defaults in the kernel.</summary>
internal sealed class KernelDefines
{
    private readonly SortedDictionary<string, string> _values = new(StringComparer.Ordinal);

    /// <summary>No defines.</summary>
    public static KernelDefines Empty { get; } = new();

    /// <summary>Adds or replaces a define. Returns this for chaining.</summary>
    public KernelDefines Set(string name, object value)
    {
        if (ReferenceEquals(this, Empty)) throw new InvalidOperationException("KernelDefines.Empty is shared; create a new instance");
        if (string.IsNullOrEmpty(name) || !Regex.IsMatch(name, "^[A-Za-z_][A-Za-z0-9_]*$"))
            throw new ArgumentException($"'{name}' is not a valid preprocessor name", nameof(name));
        _values[name] = Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
        return this;
    }

    /// <summary>The defines, sorted by name so equal sets give equal cache keys.</summary>
    public IEnumerable<KeyValuePair<string, string>> Items => _values;

    /// <summary>Renders the defines as preprocessor lines.</summary>
    public string Render()
    {
        var sb = new StringBuilder();
        foreach (var (k, v) in _values) sb.Append("#define ").Append(k).Append(' ').Append(v).Append('\n');
        return sb.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => string.Join(" ", _values.Select(kv => $"-D{kv.Key}={kv.Value}"));
}

/// <summary>A fully expanded kernel source ready for one backend's compiler.</summary>
internal sealed partial class KernelSource
{
    /// <summary>Kernel file name, e.g. <c>gemm.cl</c>.</summary>
    public string FileName { get; }
    /// <summary>Expanded text handed to the compiler.</summary>
    public string Text { get; }
    /// <summary>The defines that were prepended.</summary>
    public KernelDefines Defines { get; }
    /// <summary>Hash of the text and backend; the in-memory cache key (device and driver are added on disk).</summary>
    public string CacheKey { get; }

    private KernelSource(string fileName, string text, KernelDefines defines, ComputeBackend backend)
    {
        FileName = fileName; Text = text; Defines = defines;
        CacheKey = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(backend + "\n" + text)));
    }

    /// <summary>Loads an embedded kernel file and expands it.</summary>
    public static KernelSource Load(string fileName, KernelDefines defines, ComputeBackend backend) =>
        FromText(fileName, ReadEmbedded(fileName), defines, backend);

    /// <summary>Expands source text given directly (tests, user kernels); #includes resolve to embedded files.</summary>
    public static KernelSource FromText(string fileName, string text, KernelDefines defines, ComputeBackend backend)
    {
        var sb = new StringBuilder();
        if (backend == ComputeBackend.Cuda) sb.Append("#define CUDA 1\n");
        sb.Append(defines.Render());
        var seen = new HashSet<string>(StringComparer.Ordinal);
        Expand(fileName, text, sb, seen, 0);
        return new KernelSource(fileName, sb.ToString(), defines, backend);
    }

    /// <summary>Names of every kernel resource in the library (e.g. <c>gemm.cl</c>, <c>common.h</c>).</summary>
    public static IReadOnlyList<string> EmbeddedFiles { get; } = typeof(KernelSource).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith("kernels/", StringComparison.Ordinal)).Select(n => n["kernels/".Length..]).Order().ToArray();

    /// <summary>Reads an embedded kernel file; throws naming the available files if it is absent.</summary>
    public static string ReadEmbedded(string fileName)
    {
        using var s = typeof(KernelSource).Assembly.GetManifestResourceStream("kernels/" + fileName)
            ?? throw new FileNotFoundException(
                $"Kernel file '{fileName}' is not embedded in {Assembly.GetExecutingAssembly().GetName().Name}; available: {string.Join(", ", EmbeddedFiles)}");
        using var r = new StreamReader(s, Encoding.UTF8);
        return r.ReadToEnd();
    }

    [GeneratedRegex("^\\s*#\\s*include\\s*\"([^\"]+)\"\\s*$")]
    private static partial Regex IncludeLine();

    private static void Expand(string fileName, string text, StringBuilder sb, HashSet<string> seen, int depth)
    {
        if (depth > 16) throw new InvalidOperationException($"#include nesting too deep at {fileName}");
        sb.Append("#line 1 \"").Append(fileName).Append("\"\n");
        var lines = text.Replace("\r\n", "\n").Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var m = IncludeLine().Match(lines[i]);
            if (!m.Success) { sb.Append(lines[i]).Append('\n'); continue; }
            var inc = m.Groups[1].Value;
            if (seen.Add(inc)) Expand(inc, ReadEmbedded(inc), sb, seen, depth + 1);
            sb.Append("#line ").Append(i + 2).Append(" \"").Append(fileName).Append("\"\n");
        }
    }
}
