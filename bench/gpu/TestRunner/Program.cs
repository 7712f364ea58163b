// gpusearch-tests: an in-process xunit v2 runner for GpuSearch.Tests on machines without the .NET SDK (the GPU
// machine gets the self-contained `make publish` output). Discovers with xunit's own framework, filters by trait
// and name, runs, prints one line per test and the closing "N passed, N failed, N skipped", optionally writes JSON.
using System.Reflection;
using GpuSearch.TestRunner;

if (args.Contains("-h") || args.Contains("--help"))
{
    Console.Error.WriteLine("""
        usage: gpusearch-tests [--trait NAME=VALUE]... [--name SUBSTRING]... [--list] [--json FILE] [--serial]
          --trait  keep tests with this trait (repeat: all must match), e.g. --trait Backend=CUDA
          --name   keep tests whose class.method or display name contains SUBSTRING (repeat: any may match)
          --list   print the selected tests and exit
          --json   write every selected test's outcome, time and message to FILE
          --serial run test collections one at a time
        Exit code: 0 when nothing failed, 1 when a test failed, 2 on bad arguments or no test selected.
        """);
    return 2;
}
try
{
    var options = RunnerOptions.Parse(args);
    var tests = Assembly.Load("GpuSearch.Tests");
    return InProcessRunner.Run(tests, options, Console.Out);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
