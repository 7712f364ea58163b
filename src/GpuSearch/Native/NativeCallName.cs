// Turns the call expression captured by [CallerArgumentExpression] ("F.CreateBuffer(ctx, ...)") into the
// native entry point's name ("clCreateBuffer") for error messages; shared by every binding's ThrowIfFailed.
namespace GpuSearch.Native;

internal static class NativeCallName
{
    /// <summary>The member name before the first '(' and after the last '.', with the library's prefix ensured.</summary>
    public static string From(string call, string prefix)
    {
        var s = call.Trim();
        var paren = s.IndexOf('(');
        if (paren > 0) s = s[..paren];
        var dot = s.LastIndexOf('.');
        if (dot >= 0) s = s[(dot + 1)..];
        return s.StartsWith(prefix, StringComparison.Ordinal) ? s : prefix + s;
    }
}
