// A corrupt tuning-cache entry for the lazy-tuning tests: writes one at a path (a payload whose checksum fails) and
// collects the warnings that name it while an action runs (other tests may warn about their own folders meanwhile).
namespace GpuSearch.Tests.Support;

internal static class CorruptTuningEntry
{
    /// <summary>Writes a corrupt entry at <paramref name="path"/>, runs <paramref name="run"/> with a warning handler
    /// subscribed through <paramref name="subscribe"/>/<paramref name="unsubscribe"/>, returns the warnings naming the path.</summary>
    public static List<string> WarningsWhile(string path, Action<Action<string>> subscribe, Action<Action<string>> unsubscribe, Action run)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "{\"Format\":1,\"Payload\":\"{}\",\"Sha256\":\"00\"}");
        var warnings = new List<string>();
        void Collect(string w) { if (w.Contains(path, StringComparison.Ordinal)) lock (warnings) warnings.Add(w); }
        subscribe(Collect);
        try { run(); }
        finally { unsubscribe(Collect); }
        return warnings;
    }
}
