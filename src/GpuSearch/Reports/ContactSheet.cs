// Writes a self-contained HTML contact sheet for bulk queries: each query's thumbnail beside its top-k
// thumbnails with scores, each linked to its full image. Every distinct image's thumbnail is encoded once (a small
// JPEG data URI in one CSS rule) and referenced by class from each cell it appears in: the same photo is usually
// a query and several other queries' neighbour, and re-embedding it each time made 91 queries 18 MB.
using System.Globalization;
using System.Net;
using System.Text;

namespace GpuSearch.Reports;

/// <summary>One neighbour on a contact sheet.</summary>
/// <param name="Id">Item id in the index.</param>
/// <param name="Path">Item path as indexed.</param>
/// <param name="Score">Similarity.</param>
/// <param name="Thumb">Its thumbnail, or null when the file could not be read (shown as a placeholder).</param>
internal sealed record SheetNeighbour(long Id, string Path, float Score, RgbImage? Thumb);

/// <summary>One row of a contact sheet: a query and its neighbours, best first.</summary>
/// <param name="QueryPath">Query image path.</param>
/// <param name="QueryThumb">Query thumbnail, or null.</param>
/// <param name="Neighbours">Neighbours, best first.</param>
/// <param name="Error">Why the query failed, if it did.</param>
internal sealed record SheetRow(string QueryPath, RgbImage? QueryThumb, IReadOnlyList<SheetNeighbour> Neighbours, string? Error = null);

/// <summary>Renders contact sheets.</summary>
internal static class ContactSheet
{
    /// <summary>Writes the sheet as one HTML document (opens offline: nothing is fetched).</summary>
    public static void Write(TextWriter w, string title, IEnumerable<SheetRow> rows)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(rows);
        var list = rows.ToList();
        w.WriteLine("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
        w.WriteLine($"<title>{Enc(title)}</title><style>");
        w.WriteLine("body{font:13px system-ui,sans-serif;margin:16px;background:#fafafa}h1{font-size:18px}");
        w.WriteLine(".row{display:flex;gap:8px;align-items:flex-start;margin:12px 0;padding:8px;background:#fff;border:1px solid #ddd}");
        w.WriteLine(".cell{width:136px;text-align:center;word-break:break-all}.th{display:block;margin:auto;background-size:contain}");
        w.WriteLine(".query{border-right:2px solid #333;padding-right:8px}.score{font-weight:600}.missing{width:128px;height:96px;background:#eee;line-height:96px;color:#999}");
        w.WriteLine(".err{color:#b00}");
        var classes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var r in list)
        {
            Define(w, classes, r.QueryPath, r.QueryThumb);
            foreach (var n in r.Neighbours) Define(w, classes, n.Path, n.Thumb);
        }
        w.WriteLine("</style></head><body>");
        w.WriteLine($"<h1>{Enc(title)}</h1>");
        foreach (var r in list)
        {
            w.Write("<div class=\"row\"><div class=\"cell query\">");
            Image(w, classes, r.QueryPath);
            w.Write($"<div>{Enc(Path.GetFileName(r.QueryPath))}</div><div>query</div></div>");
            if (r.Error is not null) w.Write($"<div class=\"err\">{Enc(r.Error)}</div>");
            int rank = 1;
            foreach (var n in r.Neighbours)
            {
                w.Write("<div class=\"cell\">");
                Image(w, classes, n.Path);
                w.Write($"<div>#{rank++} <span class=\"score\">{n.Score.ToString("F4", CultureInfo.InvariantCulture)}</span></div>");
                w.Write($"<div title=\"{Enc(n.Path)}\">{Enc(Path.GetFileName(n.Path))} (id {n.Id})</div></div>");
            }
            w.WriteLine("</div>");
        }
        w.WriteLine("</body></html>");
    }

    // The first time a path is seen with a thumbnail: one CSS rule holding its JPEG, named .tN.
    private static void Define(TextWriter w, Dictionary<string, int> classes, string path, RgbImage? thumb)
    {
        if (thumb is null || classes.ContainsKey(path)) return;
        int k = classes[path] = classes.Count;
        var jpeg = Convert.ToBase64String(ThumbnailEncoder.Jpeg(thumb));
        w.WriteLine($".t{k}{{width:{thumb.Width}px;height:{thumb.Height}px;background-image:url(data:{ThumbnailEncoder.MediaType};base64,{jpeg})}}");
    }

    private static void Image(TextWriter w, Dictionary<string, int> classes, string path)
    {
        if (!classes.TryGetValue(path, out int k)) { w.Write("<div class=\"missing\">unreadable</div>"); return; }
        var href = FileUri(path) is { } u ? $" href=\"{Enc(u)}\"" : "";
        w.Write($"<a class=\"th t{k}\"{href} role=\"img\" aria-label=\"{Enc(path)}\" title=\"{Enc(path)}\"></a>");
    }

    // A file: URI for the full image, so a click opens it; none for a path that is not absolute.
    private static string? FileUri(string path) =>
        Path.IsPathFullyQualified(path) && Uri.TryCreate(path, UriKind.Absolute, out var u) ? u.AbsoluteUri : null;

    private static string Enc(string s) => WebUtility.HtmlEncode(s);
}
