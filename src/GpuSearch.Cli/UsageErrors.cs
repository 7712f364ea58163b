// Usage errors are found from the parse alone, before any command runs, so a misspelt flag or a bad value
// exits 2 with one line and leaves nothing behind (no index folder, no output file). System.CommandLine
// takes an unknown `--bacth` as a value of a positional argument (a path), so option-like values are
// refused here unless they follow `--` (or are written ./-name).
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace GpuSearch.Cli;

internal static class UsageErrors
{
    /// <summary>The first usage error of the parse as one line, or null when the command line is usable.</summary>
    public static string? Find(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        if (parse.UnmatchedTokens.Count > 0)
        {
            var typed = parse.UnmatchedTokens[0];
            var hint = Closest(typed, command.Subcommands.Select(c => c.Name).Concat(command.Options.SelectMany(o => o.Aliases.Prepend(o.Name))));
            return $"unknown command or argument '{typed}' for '{CommandPath(parse)}'" + (hint is null ? "" : $" (did you mean {hint}?)")
                   + $"; see '{CommandPath(parse)} --help'";
        }
        if (parse.Errors.Count > 0) return $"{OneLine(parse.Errors[0].Message).TrimEnd('.')}; see '{CommandPath(parse)} --help'";
        foreach (var token in parse.Tokens)
        {
            if (token.Type == TokenType.DoubleDash) break;
            if (token.Type != TokenType.Argument || !LooksLikeOption(token.Value)) continue;
            var hint = Closest(token.Value, command.Options.SelectMany(o => o.Aliases.Prepend(o.Name)));
            return $"unknown option '{token.Value}' for '{CommandPath(parse)}'"
                   + (hint is null ? "" : $" (did you mean {hint}?)")
                   + "; write a path that starts with '-' as ./-name";
        }
        return null;
    }

    /// <summary>Adds a check that the option's value is at least <paramref name="min"/> (a parse error, so nothing runs).</summary>
    public static Option<int> AtLeast(this Option<int> option, int min)
    {
        option.Validators.Add(r =>
        {
            int value;
            try { value = r.GetValueOrDefault<int>(); }
            catch (InvalidOperationException) { return; } // not a number: the parse already reports that
            if (value < min) r.AddError($"{option.Name} must be at least {min} (got {value})");
        });
        return option;
    }

    /// <summary>An exception's message as one line: no "(Parameter 'x')" suffix or "Actual value was" line.</summary>
    public static string OneLine(Exception e)
    {
        var text = e.Message;
        if (e is ArgumentException { ParamName: { } name })
        {
            var suffix = $" (Parameter '{name}')";
            var at = text.IndexOf(suffix, StringComparison.Ordinal);
            if (at >= 0) text = text[..at];
        }
        return OneLine(text);
    }

    private static string OneLine(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? text.Trim() : lines[0];
    }

    private static bool LooksLikeOption(string value) =>
        value.Length > 1 && value[0] == '-' && !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (SymbolResult? r = parse.CommandResult; r is not null; r = r.Parent)
            if (r is CommandResult c) names.Add(c.Command is RootCommand ? "gpusearch" : c.Command.Name);
        names.Reverse();
        return string.Join(' ', names);
    }

    // The known name nearest by edit distance, when it is near enough to be a typo.
    private static string? Closest(string typed, IEnumerable<string> known)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var name in known.Distinct())
        {
            var d = EditDistance(typed, name);
            if (d < bestDistance) (best, bestDistance) = (name, d);
        }
        return bestDistance <= Math.Max(2, typed.Length / 3) ? best : null;
    }

    private static int EditDistance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }
}
