// Discovery and execution through xunit's own XunitTestFramework in this process: the same discoverers, traits,
// skips and fixtures `dotnet test` would use, minus the VSTest host the SDK provides.
using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace GpuSearch.TestRunner;

internal static class InProcessRunner
{
    private sealed record Outcome(string Name, string Result, double Seconds, string? Message);

    public static int Run(Assembly tests, RunnerOptions o, TextWriter output)
    {
        using var framework = new XunitTestFramework(new DiagnosticSink(output));
        var discovery = new DiscoverySink();
        using (var discoverer = framework.GetDiscoverer(new ReflectionAssemblyInfo(tests)))
        {
            discoverer.Find(includeSourceInformation: false, discovery, new FrameworkOptions());
            discovery.Done.WaitOne();
        }
        var selected = discovery.Cases.Where(c => Matches(c, o)).ToList();
        output.WriteLine($"{selected.Count} of {discovery.Cases.Count} tests selected ({Describe(o)})");
        if (o.List)
        {
            foreach (var c in selected) output.WriteLine($"  {c.DisplayName}");
            return selected.Count == 0 ? 2 : 0;
        }
        if (selected.Count == 0) return 2;

        var sink = new ExecutionSink(output);
        var options = new FrameworkOptions();
        if (o.Serial) options.SetValue("xunit.execution.DisableParallelization", (bool?)true);
        var sw = Stopwatch.StartNew();
        using (var executor = framework.GetExecutor(tests.GetName()))
        {
            executor.RunTests(selected, sink, options);
            sink.Done.WaitOne();
        }
        int passed = sink.Outcomes.Count(r => r.Result == "passed"), failed = sink.Outcomes.Count(r => r.Result == "failed"),
            skipped = sink.Outcomes.Count(r => r.Result == "skipped");
        output.WriteLine($"tests: {sw.Elapsed.TotalSeconds:F1} s");
        output.WriteLine($"{passed} passed, {failed} failed, {skipped} skipped");
        if (o.Json is not null)
            File.WriteAllText(o.Json, JsonSerializer.Serialize(new { passed, failed, skipped, seconds = sw.Elapsed.TotalSeconds, tests = sink.Outcomes },
                new JsonSerializerOptions { WriteIndented = true }));
        return failed > 0 ? 1 : 0;
    }

    private static string Describe(RunnerOptions o) =>
        o.Traits.Count == 0 && o.Names.Count == 0 ? "no filter"
            : string.Join(", ", o.Traits.Select(t => $"trait {t.Name}={t.Value}").Concat(o.Names.Select(n => $"name ~ {n}")));

    private static bool Matches(ITestCase c, RunnerOptions o)
    {
        foreach (var (name, value) in o.Traits)
            if (!c.Traits.TryGetValue(name, out var values) || !values.Contains(value, StringComparer.OrdinalIgnoreCase)) return false;
        if (o.Names.Count == 0) return true;
        var full = $"{c.TestMethod.TestClass.Class.Name}.{c.TestMethod.Method.Name}";
        return o.Names.Any(n => full.Contains(n, StringComparison.Ordinal) || c.DisplayName.Contains(n, StringComparison.Ordinal));
    }

    /// <summary>xunit's option bags: a dictionary; absent keys read as the framework's defaults.</summary>
    private sealed class FrameworkOptions : ITestFrameworkDiscoveryOptions, ITestFrameworkExecutionOptions
    {
        private readonly Dictionary<string, object?> _values = new(StringComparer.Ordinal);
        public TValue GetValue<TValue>(string name) => _values.TryGetValue(name, out var v) && v is TValue t ? t : default!;
        public void SetValue<TValue>(string name, TValue value) => _values[name] = value;
    }

    private sealed class DiagnosticSink(TextWriter output) : LongLivedMarshalByRefObject, IMessageSink
    {
        public bool OnMessage(IMessageSinkMessage message)
        {
            if (message is IDiagnosticMessage d) output.WriteLine($"xunit: {d.Message}");
            return true;
        }
    }

    private sealed class DiscoverySink : LongLivedMarshalByRefObject, IMessageSink
    {
        public readonly List<ITestCase> Cases = [];
        public readonly ManualResetEvent Done = new(false);

        public bool OnMessage(IMessageSinkMessage message)
        {
            if (message is ITestCaseDiscoveryMessage d) lock (Cases) Cases.Add(d.TestCase);
            else if (message is IDiscoveryCompleteMessage) Done.Set();
            return true;
        }
    }

    private sealed class ExecutionSink(TextWriter output) : LongLivedMarshalByRefObject, IMessageSink
    {
        public readonly List<Outcome> Outcomes = [];
        public readonly ManualResetEvent Done = new(false);

        public bool OnMessage(IMessageSinkMessage message)
        {
            switch (message)
            {
                case ITestPassed p: Record(p, "passed", null); break;
                case ITestFailed f:
                    Record(f, "failed", string.Join("\n", f.ExceptionTypes.Zip(f.Messages, (t, m) => $"{t}: {m}")) + "\n" + string.Join("\n", f.StackTraces));
                    break;
                case ITestSkipped s: Record(s, "skipped", s.Reason); break;
                case IErrorMessage e:
                    lock (Outcomes) Outcomes.Add(new Outcome("(fixture or cleanup)", "failed", 0, string.Join("\n", e.Messages)));
                    output.WriteLine($"  ERROR   {string.Join("; ", e.Messages)}");
                    break;
                case ITestAssemblyFinished: Done.Set(); break;
            }
            return true;
        }

        private void Record(ITestResultMessage r, string result, string? message)
        {
            lock (Outcomes)
            {
                Outcomes.Add(new Outcome(r.Test.DisplayName, result, (double)r.ExecutionTime, message));
                output.WriteLine($"  {result,-8}{r.Test.DisplayName} [{r.ExecutionTime:F2} s]" + (message is null ? "" : $"\n      {message.Replace("\n", "\n      ")}"));
            }
        }
    }
}
