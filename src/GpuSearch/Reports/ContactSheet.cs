// Writes a self-contained HTML contact sheet for bulk queries: each query's thumbnail beside its top-k
// thumbnails with scores. Thumbnails are embedded as PNG data URIs so the file opens offline, anywhere.
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
    /// <summary>Writes the sheet as one HTML document.</summary>
    public static void Write(TextWriter w, string title, IEnumerable<SheetRow> rows)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(rows);
        w.WriteLine("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
        w.WriteLine($"<title>{Enc(title)}</title><style>");
        w.WriteLine("body{font:13px system-ui,sans-serif;margin:16px;background:#fafafa}h1{font-size:18px}");
        w.WriteLine(".row{display:flex;gap:8px;align-items:flex-start;margin:12px 0;padding:8px;background:#fff;border:1px solid #ddd}");
        w.WriteLine(".cell{width:136px;text-align:center;word-break:break-all}.cell img{max-width:128px;max-height:128px;display:block;margin:auto}");
        w.WriteLine(".query{border-right:2px solid #333;padding-right:8px}.score{font-weight:600}.missing{width:128px;height:96px;background:#eee;line-height:96px;color:#999}");
        w.WriteLine(".err{color:#b00}</style></head><body>");
        w.WriteLine($"<h1>{Enc(title)}</h1>");
        foreach (var r in rows)
        {
            w.Write("<div class=\"row\"><div class=\"cell query\">");
            Image(w, r.QueryThumb, r.QueryPath);
            w.Write($"<div>{Enc(Path.GetFileName(r.QueryPath))}</div><div>query</div></div>");
            if (r.Error is not null) w.Write($"<div class=\"err\">{Enc(r.Error)}</div>");
            int rank = 1;
            foreach (var n in r.Neighbours)
            {
                w.Write("<div class=\"cell\">");
                Image(w, n.Thumb, n.Path);
                w.Write($"<div>#{rank++} <span class=\"score\">{n.Score.ToString("F4", CultureInfo.InvariantCulture)}</span></div>");
                w.Write($"<div title=\"{Enc(n.Path)}\">{Enc(Path.GetFileName(n.Path))} (id {n.Id})</div></div>");
            }
            w.WriteLine("</div>");
        }
        w.WriteLine("</body></html>");
    }

    private static void Image(TextWriter w, RgbImage? img, string alt)
    {
        if (img is null) { w.Write("<div class=\"missing\">unreadable</div>"); return; }
        var png = Convert.ToBase64String(PngEncoder.EncodeRgb(img.Rgb, img.Width, img.Height));
        w.Write($"<img alt=\"{Enc(alt)}\" src=\"data:image/png;base64,{png}\">");
    }

    private static string Enc(string s) => WebUtility.HtmlEncode(s);
}
