// Command-line options of gpusearch-tests.
namespace GpuSearch.TestRunner;

/// <summary>Which tests to run and where to report.</summary>
internal sealed record RunnerOptions(IReadOnlyList<(string Name, string Value)> Traits, IReadOnlyList<string> Names, bool List, string? Json, bool Serial)
{
    public static RunnerOptions Parse(string[] args)
    {
        var traits = new List<(string, string)>();
        var names = new List<string>();
        bool list = false, serial = false;
        string? json = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--trait":
                    var t = Value();
                    int eq = t.IndexOf('=');
                    if (eq <= 0) throw new ArgumentException($"--trait wants NAME=VALUE (got '{t}')");
                    traits.Add((t[..eq], t[(eq + 1)..]));
                    break;
                case "--name": names.Add(Value()); break;
                case "--json": json = Value(); break;
                case "--list": list = true; break;
                case "--serial": serial = true; break;
                default: throw new ArgumentException($"unknown option '{args[i]}' (--help lists them)");
            }
        }
        return new RunnerOptions(traits, names, list, json, serial);
    }
}
