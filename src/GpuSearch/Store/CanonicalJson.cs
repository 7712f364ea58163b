// Canonical JSON (sorted keys, no whitespace, numbers in shortest round-trip form) so that
// fingerprints written by different tools hash identically, plus a leaf-by-leaf diff for messages.
using System.Text;
using System.Text.Json;

namespace GpuSearch.Store;

internal static class CanonicalJson
{
    public static string Normalize(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(json) ? "{}" : json);
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms)) Write(w, doc.RootElement);
            return Encoding.UTF8.GetString(ms.ToArray());
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"not valid JSON: {e.Message} (text: {json})", nameof(json), e);
        }
    }

    private static void Write(Utf8JsonWriter w, JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                w.WriteStartObject();
                foreach (var p in e.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    w.WritePropertyName(p.Name);
                    Write(w, p.Value);
                }
                w.WriteEndObject();
                break;
            case JsonValueKind.Array:
                w.WriteStartArray();
                foreach (var x in e.EnumerateArray()) Write(w, x);
                w.WriteEndArray();
                break;
            case JsonValueKind.Number:
                // 224, 224.0 and 2.24e2 are the same number; write integers as integers.
                if (e.TryGetInt64(out long l)) w.WriteNumberValue(l);
                else
                {
                    double d = e.GetDouble();
                    if (d == Math.Floor(d) && Math.Abs(d) < 1e15) w.WriteNumberValue((long)d);
                    else w.WriteNumberValue(d);
                }
                break;
            default:
                e.WriteTo(w);
                break;
        }
    }

    /// <summary>Appends "path: a X, b Y" lines for each leaf where two canonical documents differ.</summary>
    public static void Diff(string path, string a, string b, string aName, string bName, List<string> into)
    {
        if (a == b) return;
        using var da = JsonDocument.Parse(a);
        using var db = JsonDocument.Parse(b);
        Diff(path, da.RootElement, db.RootElement, aName, bName, into);
    }

    private static void Diff(string path, JsonElement a, JsonElement b, string aName, string bName, List<string> into)
    {
        if (a.ValueKind == JsonValueKind.Object && b.ValueKind == JsonValueKind.Object)
        {
            var keys = a.EnumerateObject().Select(p => p.Name).Union(b.EnumerateObject().Select(p => p.Name)).Order(StringComparer.Ordinal);
            foreach (var k in keys)
            {
                bool ha = a.TryGetProperty(k, out var va), hb = b.TryGetProperty(k, out var vb);
                if (ha && hb) Diff($"{path}.{k}", va, vb, aName, bName, into);
                else into.Add($"{path}.{k}: {aName} {(ha ? va.GetRawText() : "(absent)")}, {bName} {(hb ? vb.GetRawText() : "(absent)")}");
            }
            return;
        }
        if (a.ValueKind == JsonValueKind.Array && b.ValueKind == JsonValueKind.Array && a.GetArrayLength() == b.GetArrayLength())
        {
            int i = 0;
            foreach (var (x, y) in a.EnumerateArray().Zip(b.EnumerateArray())) Diff($"{path}[{i++}]", x, y, aName, bName, into);
            return;
        }
        string ra = a.GetRawText(), rb = b.GetRawText();
        if (ra != rb) into.Add($"{path}: {aName} {ra}, {bName} {rb}");
    }
}
