// Serve load benchmark: a bounded C# load loop against a real `gpusearch serve` process on loopback, for several
// numbers of concurrent clients, micro-batched against the single-request path (--no-batching) in the same run.
// Each client posts query images (multipart) to /search back to back for a fixed time. Reports requests/s,
// p50/p95 latency, the server's and the load loop's CPU seconds beside wall seconds, and device passes per request from /stats.
// `gpusearch-bench serve --db DB --queries DIR [--cli PATH] [--clients 1,8,64] [--seconds 10] [--k 10] [--device D] [--json]`
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;

namespace GpuSearch.Bench;

/// <summary>The HTTP load benchmark of <c>gpusearch serve</c>.</summary>
public static class ServeBench
{
    private sealed record Point(string Mode, int Clients, int Requests, int Errors, double Seconds, double RequestsPerSecond,
        double P50Ms, double P95Ms, double ServerCpuSeconds, double ClientCpuSeconds, double PassesPerRequest, string LoadAverage)
    {
        /// <summary>Requests per second of server CPU: the fair figure on a shared machine, where CPU share varies.</summary>
        public double RequestsPerCpuSecond => ServerCpuSeconds > 0 ? Requests / ServerCpuSeconds : 0;
    }

    /// <summary>Runs the benchmark; returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        var a = BenchArgs.Parse(args);
        var db = a.Str("--db", "") is { Length: > 0 } d ? Path.GetFullPath(d) : throw new ArgumentException("serve: --db DB is required");
        var queriesDir = a.Str("--queries", "") is { Length: > 0 } q ? q : throw new ArgumentException("serve: --queries DIR (images to post) is required");
        var queries = Directory.GetFiles(queriesDir).Where(f => !f.EndsWith(".txt", StringComparison.Ordinal)).Order(StringComparer.Ordinal)
            .Select(File.ReadAllBytes).ToArray();
        if (queries.Length == 0) throw new ArgumentException($"serve: {queriesDir} holds no files");
        var cli = a.Str("--cli", FindCli());
        var clients = a.Ints("--clients", [1, 8, 64]);
        var seconds = a.Int("--seconds", 10);
        var k = a.Int("--k", 10);
        var device = a.Str("--device", "auto");

        var points = new List<Point>();
        foreach (var batching in new[] { true, false })
        {
            var mode = batching ? "micro-batched" : "single-request";
            using var server = StartServer(cli, db, device, batching, out var url);
            using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(5) };
            WaitHealthy(http, server);
            RunLoad(http, queries, k, 1, TimeSpan.FromSeconds(Math.Min(3, seconds))); // warm-up: kernels, caches
            foreach (var c in clients)
            {
                var passes0 = Passes(http);
                server.Refresh();
                var cpu0 = server.TotalProcessorTime;
                var clientCpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                var (latencies, errors, wall) = RunLoad(http, queries, k, c, TimeSpan.FromSeconds(seconds));
                server.Refresh();
                var cpu = (server.TotalProcessorTime - cpu0).TotalSeconds;
                var clientCpu = (Process.GetCurrentProcess().TotalProcessorTime - clientCpu0).TotalSeconds;
                var passes = Passes(http) - passes0;
                latencies.Sort();
                points.Add(new Point(mode, c, latencies.Count, errors, wall, latencies.Count / wall,
                    Percentile(latencies, 0.50), Percentile(latencies, 0.95), cpu, clientCpu, latencies.Count > 0 ? (double)passes / latencies.Count : 0,
                    File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "?"));
                Console.Error.WriteLine($"serve: {mode} {c} clients: {latencies.Count / wall:F1} req/s");
            }
            server.Kill(entireProcessTree: true);
            server.WaitForExit();
        }

        if (a.Flag("--json")) { Console.WriteLine(JsonSerializer.Serialize(points, new JsonSerializerOptions { WriteIndented = true })); return 0; }
        Console.WriteLine($"gpusearch serve load: {queries.Length} query images, k={k}, {seconds} s per point, device {device}, {Environment.ProcessorCount} CPUs");
        Console.WriteLine("| mode | clients | requests | errors | req/s | p50 ms | p95 ms | server CPU s | client CPU s | wall s | req per server CPU-s | device passes/request | load avg after |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var p in points)
            Console.WriteLine($"| {p.Mode} | {p.Clients} | {p.Requests} | {p.Errors} | {p.RequestsPerSecond:F1} | {p.P50Ms:F0} | {p.P95Ms:F0} | {p.ServerCpuSeconds:F1} | {p.ClientCpuSeconds:F1} | {p.Seconds:F1} | {p.RequestsPerCpuSecond:F1} | {p.PassesPerRequest:F3} | {p.LoadAverage} |");
        foreach (var c in clients)
        {
            var b = points.First(p => p.Clients == c && p.Mode == "micro-batched");
            var s = points.First(p => p.Clients == c && p.Mode == "single-request");
            Console.WriteLine($"{c} clients: micro-batched / single-request = {b.RequestsPerSecond / s.RequestsPerSecond:F2}× req/s, {b.RequestsPerCpuSecond / s.RequestsPerCpuSecond:F2}× req per server CPU-s");
        }
        return points.Any(p => p.Errors > 0) ? 1 : 0;
    }

    /// <summary><paramref name="clients"/> loops posting queries back to back until the time is up; every latency in ms.</summary>
    private static (List<double> Latencies, int Errors, double Wall) RunLoad(HttpClient http, byte[][] queries, int k, int clients, TimeSpan duration)
    {
        var latencies = new List<double>();
        int errors = 0, next = 0;
        var wall = Stopwatch.StartNew();
        var deadline = DateTime.UtcNow + duration;
        var tasks = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            while (DateTime.UtcNow < deadline)
            {
                var bytes = queries[Interlocked.Increment(ref next) % queries.Length];
                var file = new ByteArrayContent(bytes);
                file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                using var form = new MultipartFormDataContent { { file, "image", "q" } };
                var sw = Stopwatch.StartNew();
                using var r = await http.PostAsync($"/search?k={k}", form);
                await r.Content.ReadAsByteArrayAsync();
                var ms = sw.Elapsed.TotalMilliseconds;
                lock (latencies)
                {
                    if (r.StatusCode == HttpStatusCode.OK) latencies.Add(ms); else errors++;
                }
            }
        })).ToArray();
        Task.WaitAll(tasks);
        return (latencies, errors, wall.Elapsed.TotalSeconds);
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static long Passes(HttpClient http)
    {
        using var doc = JsonDocument.Parse(http.GetStringAsync("/stats").GetAwaiter().GetResult());
        return doc.RootElement.GetProperty("batching").GetProperty("batches").GetInt64();
    }

    private static Process StartServer(string cli, string db, string device, bool batching, out string url)
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0)) { probe.Start(); port = ((IPEndPoint)probe.LocalEndpoint).Port; probe.Stop(); }
        url = $"http://127.0.0.1:{port}";
        var psi = new ProcessStartInfo(cli) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "serve", "--db", db, "--urls", url, "--device", device }) psi.ArgumentList.Add(arg);
        if (!batching) psi.ArgumentList.Add("--no-batching");
        var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {cli}");
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("server: " + e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static void WaitHealthy(HttpClient http, Process server)
    {
        var until = DateTime.UtcNow.AddMinutes(5);
        while (DateTime.UtcNow < until)
        {
            if (server.HasExited) throw new InvalidOperationException($"gpusearch serve exited with code {server.ExitCode}");
            try { if (http.GetAsync("/health").GetAwaiter().GetResult().IsSuccessStatusCode) return; }
            catch (HttpRequestException) { }
            Thread.Sleep(200);
        }
        throw new TimeoutException("gpusearch serve did not answer /health within 5 minutes");
    }

    private static string FindCli()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var p = Path.Combine(dir.FullName, "src", "GpuSearch.Cli", "bin", "Release", "net10.0", "gpusearch");
            if (File.Exists(p)) return p;
        }
        throw new ArgumentException("serve: pass --cli PATH to the gpusearch executable (build it with dotnet build -c Release)");
    }
}
