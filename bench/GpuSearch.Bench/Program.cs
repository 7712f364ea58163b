// gpusearch-bench: benchmark harness. Each benchmark reports ratios against a baseline measured in the same run.
Console.Error.WriteLine("usage: gpusearch-bench <benchmark> [options]   (benchmarks are added per subsystem)");
return 2;
